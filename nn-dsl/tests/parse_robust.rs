//! The `.nnd` parser never panics and never overflows the stack: every prefix of valid sources,
//! deterministic pseudo-random garbage, token soup, pathological nesting and megabyte inputs all
//! come back as `Ok` or as a non-empty list of diagnostics whose labels lie inside the source.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nn_dsl::diag::render;
use nn_dsl::front::nnd::{parse_str, MAX_DEPTH};
use nn_dsl::Diagnostic;
use proptest::prelude::*;

const SOURCES: [&str; 5] = [
    include_str!("../../examples/mlperf/kws.nnd"),
    include_str!("../../examples/mlperf/vww.nnd"),
    include_str!("../../examples/mlperf/resnet8.nnd"),
    include_str!("../../examples/mlperf/ad.nnd"),
    r#"network V { input x: f32[1, 2,]; weights "a\"b\\c.safetensors"; /* c */
        let y = f(g(x), a = -3, b = 0.5, c = -1e-3, d = [[1, 2], [], ["s", w]], e = "é",);
        output out = y; output f(y); }"#,
];

/// Parses `src` and checks the outcome is well formed: `Ok`, or a non-empty list of error
/// diagnostics whose labels lie inside the source on character boundaries.
fn outcome(src: &str) -> Result<(), Vec<Diagnostic>> {
    let diags = match parse_str(src) {
        Ok(_) => return Ok(()),
        Err(diags) => diags,
    };
    assert!(!diags.is_empty(), "Err without diagnostics for {src:?}");
    for d in &diags {
        assert!(d.is_error());
        assert!(d.code.starts_with("E00"), "{}", d.code);
        for l in &d.labels {
            assert!(
                l.span.start <= l.span.end && l.span.end as usize <= src.len(),
                "label {:?} outside a source of {} bytes",
                l.span,
                src.len()
            );
            assert!(src.is_char_boundary(l.span.start as usize));
            assert!(src.is_char_boundary(l.span.end as usize));
        }
    }
    Err(diags)
}

/// [`outcome`], as "did it parse".
fn check(src: &str) -> bool {
    outcome(src).is_ok()
}

/// [`check`], and renders the diagnostics (rendering must not panic either).
fn check_and_render(src: &str) -> bool {
    match outcome(src) {
        Ok(()) => true,
        Err(diags) => {
            let text = render::to_string("fuzz.nnd", src, &diags);
            assert!(text.contains("error["), "{text}");
            false
        }
    }
}

/// A small deterministic generator (xorshift64*), so failures reproduce exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn every_prefix_of_valid_sources() {
    for src in SOURCES {
        assert!(check(src), "the full source must parse:\n{src}");
        for (i, _) in src.char_indices() {
            let prefix = &src[..i];
            // Only a prefix that still holds the closing `}` (trailing whitespace cut) parses.
            let complete = prefix.trim_end() == src.trim_end();
            assert_eq!(check_and_render(prefix), complete, "prefix {prefix:?}");
        }
    }
}

#[test]
fn every_single_char_deletion() {
    // The two smallest sources keep this quick in debug builds.
    for src in [SOURCES[3], SOURCES[4]] {
        for (i, c) in src.char_indices() {
            let mut s = String::with_capacity(src.len());
            s.push_str(&src[..i]);
            s.push_str(&src[i + c.len_utf8()..]);
            check(&s);
        }
    }
}

#[test]
fn random_garbage() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for round in 0..2000 {
        let len = rng.below(if round % 100 == 0 { 20_000 } else { 300 });
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        let src = String::from_utf8_lossy(&bytes);
        check_and_render(&src);
    }
}

#[test]
fn random_token_soup() {
    const TOKENS: [&str; 40] = [
        "network",
        "input",
        "weights",
        "let",
        "output",
        "N",
        "x",
        "conv2d",
        "same",
        "i8",
        "f32",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        ",",
        ";",
        ":",
        "=",
        "1",
        "-2",
        "0.5",
        "-1e-3",
        "1e999",
        "99999999999999999999",
        "\"s\"",
        "\"",
        "\\",
        "//c\n",
        "/*",
        "*/",
        " ",
        "\n",
        "@",
        "é",
        "ouput",
        ".",
        "-",
    ];
    let mut rng = Rng(42);
    let mut parsed = 0;
    for _ in 0..5000 {
        let n = rng.below(60);
        let mut src = String::new();
        // Start most soups with a plausible header so the parser gets deep into the grammar.
        if rng.below(4) != 0 {
            src.push_str("network N { ");
        }
        for _ in 0..n {
            src.push_str(TOKENS[rng.below(TOKENS.len())]);
            if rng.below(2) == 0 {
                src.push(' ');
            }
        }
        if check(&src) {
            parsed += 1;
        }
    }
    // Not a correctness figure, only a sign the soup is not all rejected at the first token.
    assert!(parsed < 5000);
}

#[test]
fn pathological_nesting() {
    let n = 10_000;
    let cases = [
        "[".repeat(n),
        "(".repeat(n),
        "{".repeat(n),
        format!(
            "network A {{ output f(x, v = {}1{}); }}",
            "[".repeat(n),
            "]".repeat(n)
        ),
        format!(
            "network A {{ output {}x{}; }}",
            "f(".repeat(n),
            ")".repeat(n)
        ),
        format!("network A {{ output f(x, v = {}", "[1, ".repeat(n)),
        "([{".repeat(n),
        // Closers first must not let the openers that follow nest deeper unnoticed.
        format!("{}{}", "]".repeat(n), "[".repeat(n)),
    ];
    for src in &cases {
        match parse_str(src) {
            Ok(_) => panic!("nesting of {n} must be rejected"),
            Err(d) => assert!(
                d.iter().any(|d| d.code == "E0011"),
                "expected the nesting diagnostic, got {:?}",
                d.iter().map(|d| d.code).collect::<Vec<_>>()
            ),
        }
    }
    // Just under the limit still parses on a small thread stack.
    let lists = MAX_DEPTH - 2;
    let src = format!(
        "network A {{ output f(x, v = {}1{}); }}",
        "[".repeat(lists),
        "]".repeat(lists)
    );
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || parse_str(&src).is_ok())
        .expect("spawn");
    assert!(handle.join().expect("no panic"));
    // On a tiny stack pest's own stack guard answers E0012 instead of overflowing.
    let src = format!(
        "network A {{ output f(x, v = {}1{}); }}",
        "[".repeat(lists),
        "]".repeat(lists)
    );
    let handle = std::thread::Builder::new()
        .stack_size(128 << 10)
        .spawn(move || outcome(&src).map_err(|d| d.iter().map(|d| d.code).collect::<Vec<_>>()))
        .expect("spawn");
    let result = handle.join().expect("no panic");
    assert!(
        matches!(
            result.as_ref().map_err(Vec::as_slice),
            Ok(()) | Err(["E0012"])
        ),
        "{result:?}"
    );
}

#[test]
fn megabyte_inputs() {
    // A valid network of about 1 MB.
    let mut src = String::from("network Big {\n    input x: i8[49, 10, 1];\n");
    let mut n = 0;
    while src.len() < 1 << 20 {
        src.push_str(&format!(
            "    let t{n} = conv2d(x, filters = 64, kernel = [10, 4], stride = 2, padding = same); // {n}\n"
        ));
        n += 1;
    }
    src.push_str("    output t0;\n}\n");
    let net = parse_str(&src).unwrap_or_else(|d| panic!("{d:?}"));
    assert_eq!(net.items.len(), n + 2);

    // The same with a syntax error at the very end.
    let broken = &src[..src.len() - 3];
    assert!(!check(broken));

    // One huge comment, one huge string, one huge list, and 1 MB of garbage.
    let big = 1 << 20;
    check(&format!("network A {{ /*{}*/ }}", "x".repeat(big)));
    check(&format!("network A {{ weights \"{}\"; }}", "y".repeat(big)));
    let list = format!(
        "network A {{ output f(x, v = [{}]); }}",
        "1, ".repeat(big / 3)
    );
    assert!(check(&list));
    let mut rng = Rng(7);
    let bytes: Vec<u8> = (0..big).map(|_| rng.next() as u8).collect();
    check(&String::from_utf8_lossy(&bytes));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        check(&src);
    }

    #[test]
    fn arbitrary_language_like_text_never_panics(
        src in "(network|input|let|output|weights|[a-z_]{1,4}|[0-9]{1,3}|[-.eE]|[{}()\\[\\],;:=\"\\\\/* \n]){0,80}"
    ) {
        check(&src);
    }
}
