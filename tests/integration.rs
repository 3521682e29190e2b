//! Integration tests: run the built binary.
