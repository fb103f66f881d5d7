//! Shape inference and checks over the IR; every problem becomes a diagnostic.
