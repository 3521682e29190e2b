//! Sources push bytes to the scanner: files on disk (`dir`), git objects (`git`, with
//! provenance from `history`) and standard input.
pub(crate) mod attribute;
pub mod dir;
pub mod git;
pub mod history;
pub mod repo;
