//! Sets `cfg(nnd_dsp)` when the Rust target has the Armv7E-M DSP instructions (SMLAD, SXTB16,
//! ...). On stable Rust `cfg(target_feature = "dsp")` is false even on `thumbv7em`, so the target
//! triple decides: `thumbv7em-*` and `thumbv8m.main-*` (the Cortex-M33/M35P/M55 cores that
//! implement the DSP extension) get the inline-assembly intrinsics; every other target runs the
//! same kernels with portable Rust versions of those instructions.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(nnd_dsp)");
    println!("cargo::rerun-if-env-changed=TARGET");
    let target = std::env::var("TARGET").unwrap_or_default();
    if target.starts_with("thumbv7em-") || target.starts_with("thumbv8m.main-") {
        println!("cargo::rustc-cfg=nnd_dsp");
    }
}
