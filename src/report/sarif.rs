use std::io::{self, Write};

use super::{Options, Report};

pub fn write(out: &mut dyn Write, report: &Report, _opts: &Options) -> io::Result<()> {
    for f in &report.findings {
        writeln!(
            out,
            "{}:{}:{} {} {} {}",
            f.path, f.span.start.line, f.span.start.col, f.severity, f.rule, f.message
        )?;
    }
    Ok(())
}
