//! # nn-macros: nnd networks inline in Rust
//!
//! A thin shim over `nn-dsl`: the macros parse their input with `nn_dsl::front::tokens` (the
//! `.nnd` language read from Rust tokens), check it with `nn_dsl::check`, bind the weights file,
//! lower, plan and generate code with the same back end as `nndc build`. Every error is reported
//! at the tokens it is about, all at once; the macros never panic.
//!
//! ```ignore
//! nn_macros::network! {
//!     #[target = "generic"]
//!     pub network Tiny {
//!         input x: i8[4];
//!         weights "tiny.safetensors";   // relative to CARGO_MANIFEST_DIR
//!         output y = dense(x, units = 2);
//!     }
//! }
//! ```
//!
//! See `docs/macro.md` for the full syntax (`network!(tflite = "m.tflite")`,
//! `include_nnd!("net.nnd")`, options) and the error format.

mod expand;
mod generate;
mod options;

use proc_macro::TokenStream;

/// A network written inline, or loaded from a `.tflite` model.
///
/// Forms:
/// - `network! { #[target = "generic"] #[crate = ::nn_kernels] pub network Name { ... } }`: the
///   `.nnd` language; attributes and visibility are optional.
/// - `network!(tflite = "model.tflite", name = Name, target = "generic", crate = path)`: an
///   imported `.tflite` model; only `tflite` is required.
///
/// The target (`generic`, `cortex-m4`, `cortex-m7`) is `generic` unless named: a proc macro
/// cannot see the compilation target (docs/macro.md, "Targets").
///
/// Paths are relative to `CARGO_MANIFEST_DIR`; absolute paths are refused. The files read are
/// tracked with `include_bytes!`, so editing them rebuilds the crate.
#[proc_macro]
pub fn network(input: TokenStream) -> TokenStream {
    expand::network(input.into()).into()
}

/// A network from a `.nnd` file: `include_nnd!("net.nnd")`, optionally followed by
/// `, target = "generic"` and `, crate = path`.
///
/// The path is relative to `CARGO_MANIFEST_DIR`; the `weights` path inside the file is relative
/// to the file's directory (as for `nndc`). Errors inside the file are reported at the path
/// literal, with `file:line:col` and the source snippet in the message.
#[proc_macro]
pub fn include_nnd(input: TokenStream) -> TokenStream {
    expand::include_nnd(input.into()).into()
}
