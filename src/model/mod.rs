//! The data model: a spanned YAML tree, a line index, Kubernetes objects and pod-spec views.

pub mod decode;
pub mod json;
pub mod lines;
pub mod object;
pub mod pod;
pub mod yaml;

pub use lines::LineIndex;
pub use object::Object;
pub use pod::{Container, ContainerKind, PodSpec, Setting};
pub use yaml::{Entry, Node, Pos, Span};
