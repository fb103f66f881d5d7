//! The memory planner: one arena for every activation, offsets decided at compile time.
