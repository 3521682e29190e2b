//! Sources push bytes to the scanner: files on disk (`dir`) and standard input.
pub mod dir;
