//! The `.nnd` text front end (pest grammar).
