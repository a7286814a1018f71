//! Data the rules consult, kept apart from the rules' code.

pub mod api_versions;
pub mod images;
pub mod pss;
pub mod rbac;
