//! Code-generation targets, chosen by name.

use std::fmt;
use std::str::FromStr;

/// A target the Rust back end generates code for.
///
/// Every target emits the same module API (docs/codegen.md); they differ in which kernels the
/// generated `run` calls. Only the portable kernels exist today.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// Portable Rust: `nn_kernels`' reference kernels through its const-generic `typed` API.
    /// Runs anywhere `core` does.
    #[default]
    Generic,
}

impl Target {
    /// Every target, in the order they are listed to users.
    pub const ALL: &'static [Target] = &[Target::Generic];

    /// The name used on the command line and in `build.rs` (`generic`).
    pub fn name(self) -> &'static str {
        match self {
            Target::Generic => "generic",
        }
    }

    /// The target called `name` (ASCII case-insensitive).
    ///
    /// # Errors
    /// [`UnknownTarget`] naming the valid targets.
    pub fn from_name(name: &str) -> Result<Target, UnknownTarget> {
        Target::ALL
            .iter()
            .copied()
            .find(|t| t.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| UnknownTarget {
                name: name.to_owned(),
            })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::from_name(s)
    }
}

/// A target name that is not one of [`Target::ALL`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown target `{name}`; valid targets: {}", valid_names())]
pub struct UnknownTarget {
    /// The name that was asked for.
    pub name: String,
}

fn valid_names() -> String {
    Target::ALL
        .iter()
        .map(|t| t.name())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_lists_valid() {
        for &t in Target::ALL {
            assert_eq!(Target::from_name(t.name()), Ok(t));
        }
        assert_eq!("GENERIC".parse::<Target>(), Ok(Target::Generic));
        let e = Target::from_name("cortex-m9").unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown target `cortex-m9`; valid targets: generic"
        );
    }
}
