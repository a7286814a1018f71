//! Any bytes through the whole engine: decode, parse, model, every default rule. A panic, a hang
//! (libFuzzer's -timeout) or unbounded memory (-rss_limit_mb) is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static ENGINE: clustersec::engine::Engine = clustersec::engine::Engine::default();
    }
    ENGINE.with(|engine| {
        let _ = engine.scan_bytes("fuzz.yaml", data);
    });
});
