// The `main` of the oracle runners that run as Linux user-mode programs under QEMU
// (`tests/aarch64`, `tests/riscv64`), included with `include!` after `runner_common.rs` and the
// generated `cases.rs`. Prints one line per failing case and `N passed, M failed`; exits with
// success only when every case equals TFLM.

fn main() {
    let mut arena = vec![0i8; MAX_ARENA];
    println!(
        "nnd oracle runner: target `{TARGET}`, {OP_CASES} single-op cases, {MODEL_CASES} whole-network cases ({IN_PLACE_CASES} of them in place), {SEQUENCES} sequences of stateful networks"
    );
    let (mut passed, mut failed) = (0usize, 0usize);
    for (name, run) in CASES {
        arena.fill(0x5a);
        match run(&mut arena) {
            Ok(()) => passed += 1,
            Err(f) => {
                failed += 1;
                match f {
                    Failure::Differ(k, (i, got, want)) => println!(
                        "FAIL {name}: output {k} differs from TFLM at index {i}: got {got}, want {want}"
                    ),
                    other => println!("FAIL {name}: {other:?}"),
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    if passed + failed != EXPECTED_CASES {
        println!(
            "error: {} cases ran, the vectors' manifests list {EXPECTED_CASES}",
            passed + failed
        );
    }
    let ok = failed == 0 && passed == EXPECTED_CASES && passed == OP_CASES + MODEL_CASES + SEQUENCES;
    std::process::exit(if ok { 0 } else { 1 });
}
