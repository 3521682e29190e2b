//! sprawl finds leaked credentials of non-human identities in files and git history.
//!
//! Data flows one way (docs/ARCHITECTURE.md): `cli` → `config` → a `source` pushes bytes
//! to the `scanner`, which runs the `matcher` with the `rules` and makes findings
//! (`finding`, with their `identity`); the `pipeline` links them (`link`: owners, `egress`),
//! applies `suppress` and orders them; `report` renders them. `secret`, `units` and `paths`
//! are leaves everything may use.
pub mod app;
pub mod cli;
pub mod config;
pub mod decode;
pub mod diag;
pub mod egress;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod identity;
pub mod link;
pub mod live;
pub mod manual;
pub mod matcher;
pub mod paths;
pub mod pipeline;
pub mod progress;
pub mod project;
pub mod report;
pub mod rules;
pub mod scanner;
pub mod secret;
pub mod source;
pub mod suppress;
pub mod sweep;
pub mod text;
pub mod units;
pub mod validate;
