//! Code-generation targets, chosen by name.

use std::fmt;
use std::str::FromStr;

/// A target the Rust back end generates code for.
///
/// Every target emits the same module API (docs/codegen.md); they differ in which kernels the
/// generated `run` calls and how the compiler lays the constants out for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Target {
    /// Portable Rust: `nn_kernels`' reference kernels through its const-generic `typed` API.
    /// Runs anywhere `core` does.
    #[default]
    Generic,
    /// Arm Cortex-M4 (Armv7E-M with the DSP extension, `thumbv7em-none-eabi[hf]`): the
    /// `nn_kernels::cortex_m` kernels (SMLAD, SXTB16, ...), weights re-laid out at build time.
    CortexM4,
    /// Arm Cortex-M7 (Armv7E-M, `thumbv7em-none-eabi[hf]`): the Cortex-M4 kernels today.
    CortexM7,
    /// Armv8-A with Advanced SIMD (every AArch64 core, Cortex-A53 and later; `aarch64-*`): the
    /// `nn_kernels::aarch64` NEON kernels (SMULL/SMLAL/SADALP), never a dot-product instruction.
    Aarch64,
    /// Armv8.2-A with the dot-product extension (FEAT_DotProd: Cortex-A55, A76 and later;
    /// `aarch64-*` built with `-C target-feature=+dotprod`): the NEON kernels with `SDOT`.
    Aarch64Dotprod,
    /// Armv8.6-A with the 8-bit matrix-multiply extension (FEAT_I8MM and FEAT_DotProd:
    /// Cortex-A510/A710/X2, Neoverse V1/N2 and later; `aarch64-*` built with
    /// `-C target-feature=+dotprod,+i8mm`): convolutions and dense layers on `SMMLA`.
    Aarch64I8mm,
    /// Kendryte K210 (RV64GC, no SIMD; `riscv64*`): the `nn_kernels::rv64` kernels, three int8
    /// products per 64-bit `MUL` in packed lanes, weights packed at build time. Plain Rust: the
    /// code also runs on any other 64-bit RISC-V core.
    K210,
}

/// A family of targets sharing one set of specialised kernels in `nn_kernels`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Family {
    /// The portable kernels only.
    Portable,
    /// `nn_kernels::cortex_m`: Armv7E-M DSP kernels.
    CortexM,
    /// `nn_kernels::aarch64`: Armv8-A NEON kernels (with or without `SDOT`).
    Aarch64,
    /// `nn_kernels::rv64`: packed-lane kernels for 64-bit scalar RISC-V cores.
    Riscv64,
}

impl Family {
    /// The family's name in listings (`portable`, `cortex-m`).
    pub fn name(self) -> &'static str {
        match self {
            Family::Portable => "portable",
            Family::CortexM => "cortex-m",
            Family::Aarch64 => "aarch64",
            Family::Riscv64 => "riscv64",
        }
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Target {
    /// Every target, in the order they are listed to users.
    pub const ALL: &'static [Target] = &[
        Target::Generic,
        Target::CortexM4,
        Target::CortexM7,
        Target::Aarch64,
        Target::Aarch64Dotprod,
        Target::Aarch64I8mm,
        Target::K210,
    ];

    /// The name used on the command line and in `build.rs` (`generic`, `cortex-m4`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Target::Generic => "generic",
            Target::CortexM4 => "cortex-m4",
            Target::CortexM7 => "cortex-m7",
            Target::Aarch64 => "aarch64",
            Target::Aarch64Dotprod => "aarch64-dotprod",
            Target::Aarch64I8mm => "aarch64-i8mm",
            Target::K210 => "k210",
        }
    }

    /// The kernel family whose specialised kernels the generated code calls.
    pub fn family(self) -> Family {
        match self {
            Target::Generic => Family::Portable,
            Target::CortexM4 | Target::CortexM7 => Family::CortexM,
            Target::Aarch64 | Target::Aarch64Dotprod | Target::Aarch64I8mm => Family::Aarch64,
            Target::K210 => Family::Riscv64,
        }
    }

    /// Whether code for this target may be compiled for the Rust target triple `triple` (cargo's
    /// `TARGET`). `generic` runs anywhere; the Cortex-M targets need an Armv7E-M or Armv8-M
    /// Mainline triple (`thumbv7em-*`, `thumbv8m.main-*`).
    pub fn matches_triple(self, triple: &str) -> bool {
        self.triples()
            .iter()
            .any(|pattern| match pattern.strip_suffix('*') {
                Some(prefix) => triple.starts_with(prefix),
                None => triple == *pattern,
            })
    }

    /// The Rust target triples [`Target::matches_triple`] accepts, as patterns where a trailing
    /// `*` matches any rest (`*` alone: every triple). For listings and error messages.
    pub fn triples(self) -> &'static [&'static str] {
        match self.family() {
            Family::Portable => &["*"],
            Family::CortexM => &["thumbv7em-*", "thumbv8m.main-*"],
            Family::Aarch64 => &["aarch64-*"],
            Family::Riscv64 => &["riscv64*"],
        }
    }

    /// One line saying what the target is and which kernels it calls (`nndc targets`).
    pub fn description(self) -> &'static str {
        match self {
            Target::Generic => {
                "portable Rust: the reference kernels (nn_kernels::typed); runs anywhere core does"
            }
            Target::CortexM4 => {
                "Arm Cortex-M4 (Armv7E-M + DSP): nn_kernels::cortex_m kernels (SMLAD, SXTB16)"
            }
            Target::CortexM7 => "Arm Cortex-M7 (Armv7E-M + DSP): the Cortex-M4 kernels today",
            Target::Aarch64 => {
                "Armv8-A NEON (Cortex-A53 and later): nn_kernels::aarch64 kernels (SMULL/SMLAL/SADALP)"
            }
            Target::Aarch64Dotprod => {
                "Armv8.2-A NEON + dot product (Cortex-A55/A76 and later; build with \
                 -C target-feature=+dotprod): nn_kernels::aarch64 kernels with SDOT"
            }
            Target::Aarch64I8mm => {
                "Armv8.6-A NEON + i8mm (Cortex-A510/A710, Neoverse V1/N2; build with \
                 -C target-feature=+dotprod,+i8mm): nn_kernels::aarch64 kernels with SMMLA"
            }
            Target::K210 => {
                "Kendryte K210 (RV64GC, no SIMD): nn_kernels::rv64 kernels, three int8 products \
                 per 64-bit MUL in packed lanes"
            }
        }
    }

    /// The target to use when none is named and the Rust triple is `triple`: `cortex-m4` on
    /// `thumbv7em-*` (Cortex-M4 and M7 share the DSP kernels), `aarch64` on `aarch64-*` (plain
    /// NEON runs on every AArch64 core; `aarch64-dotprod` is chosen by name), `k210` on
    /// `riscv64*`, `generic` everywhere else.
    pub fn default_for_triple(triple: &str) -> Target {
        if triple.starts_with("thumbv7em-") {
            Target::CortexM4
        } else if triple.starts_with("aarch64-") {
            Target::Aarch64
        } else if triple.starts_with("riscv64") {
            Target::K210
        } else {
            Target::Generic
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
            "unknown target `cortex-m9`; valid targets: generic, cortex-m4, cortex-m7, aarch64, \
             aarch64-dotprod, aarch64-i8mm, k210"
        );
    }

    #[test]
    fn triples_listed_are_the_triples_matched() {
        for &t in Target::ALL {
            assert!(!t.triples().is_empty(), "{t}");
            assert!(!t.description().is_empty(), "{t}");
        }
        assert_eq!(Target::Generic.triples(), &["*"]);
        assert!(Target::Generic.matches_triple("x86_64-unknown-linux-gnu"));
        assert!(Target::Generic.matches_triple(""));
        for t in [Target::CortexM4, Target::CortexM7] {
            assert_eq!(t.family().name(), "cortex-m");
            assert!(t.matches_triple("thumbv7em-none-eabihf"));
            assert!(t.matches_triple("thumbv7em-none-eabi"));
            assert!(t.matches_triple("thumbv8m.main-none-eabihf"));
            assert!(!t.matches_triple("thumbv6m-none-eabi"));
            assert!(!t.matches_triple("thumbv8m.base-none-eabi"));
            assert!(!t.matches_triple("x86_64-unknown-linux-gnu"));
            assert!(!t.matches_triple("thumbv7em"));
        }
        assert_eq!(
            Target::default_for_triple("thumbv7em-none-eabihf"),
            Target::CortexM4
        );
        assert_eq!(
            Target::default_for_triple("thumbv8m.main-none-eabi"),
            Target::Generic
        );
        assert_eq!(
            Target::default_for_triple("aarch64-unknown-linux-gnu"),
            Target::Aarch64
        );
        assert_eq!(
            Target::default_for_triple("riscv64gc-unknown-none-elf"),
            Target::K210
        );
        assert_eq!(Target::K210.family().name(), "riscv64");
        assert!(Target::K210.matches_triple("riscv64gc-unknown-linux-gnu"));
        assert!(!Target::K210.matches_triple("riscv32imac-unknown-none-elf"));
        assert!(!Target::K210.matches_triple("aarch64-unknown-linux-gnu"));
        for t in [Target::Aarch64, Target::Aarch64Dotprod, Target::Aarch64I8mm] {
            assert_eq!(t.family().name(), "aarch64");
            assert!(t.matches_triple("aarch64-unknown-linux-gnu"));
            assert!(t.matches_triple("aarch64-unknown-none"));
            assert!(!t.matches_triple("thumbv7em-none-eabihf"));
            assert!(!t.matches_triple("x86_64-unknown-linux-gnu"));
        }
    }
}
