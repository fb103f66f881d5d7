//! Shared helpers for the workspace-level tests (loading oracle vectors).
