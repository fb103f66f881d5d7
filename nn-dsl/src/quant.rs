//! Host-side quantisation arithmetic (never run on the device).
