//! Which names can name a network.
//!
//! A network's name becomes the name of a Rust type (a unit struct) in the module the back end
//! generates, next to the module's own items: the types `Arena`, `State`, `Input`, `Output` (`Input0`,
//! `Output1`, ... with several), constants and statics in SCREAMING_SNAKE_CASE (`ARENA_BYTES`,
//! `INPUT_SHAPE`, `C1_WEIGHTS`), functions and local variables in snake_case (`run`,
//! `input_from_fixed_i16`, `x`, `rest`), and the prelude's `Result`, `Ok`, `Err`, `Option`,
//! `Some` and `None`. A unit struct lives in both the type and the value namespace, so a network
//! named like any of them breaks the generated code; Rust keywords cannot name a type at all, and
//! `_`, `self`, `Self`, `super` and `crate` not even as a raw identifier. [`reserved`] says why a
//! name is refused (the checker's E0127, the back end's `Error::Name`), [`suggest`] proposes one
//! that is not.

/// Rust's strict and reserved keywords (every edition up to 2024).
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
    "pub", "ref", "return", "self", "Self", "static", "struct", "super", "trait", "true", "try",
    "type", "unsafe", "use", "where", "while", "abstract", "become", "box", "do", "final", "macro",
    "override", "priv", "typeof", "unsized", "virtual", "yield",
];

/// Names with no raw identifier form: a proc macro cannot even spell them as `r#name`.
const NOT_EVEN_RAW: &[&str] = &["_", "self", "Self", "super", "crate"];

/// Prelude names the generated code uses unqualified.
const PRELUDE: &[&str] = &["Result", "Ok", "Err", "Option", "Some", "None"];

/// Why `name` cannot name a network (the type the generated Rust module defines), or `None` when
/// it can. `name` is expected to be an identifier (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn reserved(name: &str) -> Option<&'static str> {
    if NOT_EVEN_RAW.contains(&name) {
        return Some("it cannot be a Rust identifier, not even a raw one (`r#...`)");
    }
    if KEYWORDS.contains(&name) {
        return Some("it is a Rust keyword");
    }
    if PRELUDE.contains(&name) {
        return Some(
            "the generated code uses the prelude's `Result`, `Ok`, `Err`, `Option`, `Some` and \
             `None`",
        );
    }
    let numbered = |prefix: &str| {
        name.strip_prefix(prefix)
            .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit()))
    };
    if name == "Arena" || numbered("Input") || numbered("Output") {
        return Some(
            "the generated module defines the types `Arena`, `Input` and `Output` (`Input0`, \
             `Output1`, ... for several inputs or outputs)",
        );
    }
    if name == "State" {
        return Some(
            "the generated module of a network with stateful layers (`svdf`, `lstm`) defines \
             the type `State`",
        );
    }
    if !name.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(
            "a name without an uppercase letter can clash with the generated code's functions and \
             variables (`run`, `x`, `rest`) and with primitive types (`i8`); the network is a Rust \
             type, named in UpperCamelCase",
        );
    }
    if name.contains('_') && !name.chars().any(|c| c.is_ascii_lowercase()) {
        return Some(
            "a SCREAMING_SNAKE_CASE name can clash with the generated module's constants \
             (`ARENA_BYTES`, `INPUT_SHAPE`, `C1_WEIGHTS`); the network is a Rust type, named in \
             UpperCamelCase",
        );
    }
    None
}

/// A name close to `name` that [`reserved`] accepts: its words in UpperCamelCase (`my_net` ->
/// `MyNet`, `ARENA_BYTES` -> `ArenaBytes`), with `Net` appended when that is still refused
/// (`Input` -> `InputNet`, `self` -> `SelfNet`) or starts with a digit.
pub fn suggest(name: &str) -> String {
    let mut out = String::new();
    for word in name.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            let rest: String = chars.collect();
            if word.chars().any(|c| c.is_ascii_lowercase()) {
                out.push_str(&rest);
            } else {
                out.push_str(&rest.to_ascii_lowercase());
            }
        }
    }
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "Net");
        return out;
    }
    if reserved(&out).is_some() {
        out.push_str("Net");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_names_and_suggestions() {
        for name in [
            "_",
            "self",
            "Self",
            "super",
            "crate",
            "type",
            "fn",
            "Input",
            "Input0",
            "Output12",
            "Arena",
            "Result",
            "Ok",
            "None",
            "x",
            "rest",
            "input_from_fixed_i16",
            "i8",
            "ARENA_BYTES",
            "C1_WEIGHTS",
        ] {
            assert!(reserved(name).is_some(), "{name}");
            let s = suggest(name);
            assert!(reserved(&s).is_none(), "{name} -> {s}");
        }
        for name in [
            "Kws", "DsCnnKws", "N", "T", "KWS", "AD", "R8", "Inputs", "InputA", "Arena2", "myNet",
            "_Net", "Results",
        ] {
            assert_eq!(reserved(name), None, "{name}");
        }
        assert_eq!(suggest("Input"), "InputNet");
        assert_eq!(suggest("self"), "SelfNet");
        assert_eq!(suggest("_"), "Net");
        assert_eq!(suggest("my_net"), "MyNet");
        assert_eq!(suggest("ARENA_BYTES"), "ArenaBytes");
        assert_eq!(suggest("x"), "X");
        assert_eq!(suggest("i8"), "I8");
    }
}
