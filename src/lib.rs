//! sprawl finds leaked credentials of non-human identities in files and git history.
//!
//! Data flows one way: `cli` → `config` → a source (`source`) pushes bytes to the
//! `scanner`, which runs the `matcher` over them and builds findings (`finding`), which
//! `report` renders. `rules` and `validate` are the data and checks the matcher applies.
pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod diag;
pub mod egress;
pub mod finding;
pub mod identity;
pub mod matcher;
pub mod report;
pub mod rules;
pub mod scanner;
pub mod source;
pub mod suppress;
pub mod sweep;
pub mod validate;
