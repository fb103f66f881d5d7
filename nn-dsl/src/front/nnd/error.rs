//! Syntax errors of the `.nnd` front end and their conversion into [`Diagnostic`]s.
//!
//! pest reports a failed parse as the set of rules it tried at the farthest position. This module
//! turns those rule names into words ("`;`", "a name", "a value"), looks at the text actually found
//! there, and picks the most helpful error: an unknown statement keyword with a did-you-mean, a
//! keyword used as a name, a missing `;` or closing delimiter, `=` written for `:` and so on.
//! Codes E0001..E0099 belong to this front end; each is documented in docs/language.md.

use std::fmt;

use pest::error::{Error as PestError, ErrorVariant, InputLocation};

use super::lex::{self, MAX_DEPTH};
use super::parser::Rule;
use crate::diag::Diagnostic;
use crate::span::Span;

/// The statement keywords, in the order they are suggested.
const STATEMENT_KEYWORDS: [&str; 4] = ["input", "weights", "let", "output"];
/// Every keyword (none is usable as a name).
const KEYWORDS: [&str; 5] = ["network", "input", "weights", "let", "output"];
/// Longest token quoted in a message.
const MAX_FOUND_CHARS: usize = 32;

/// Something the parser could have accepted at the error position.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Expected {
    /// `;`
    Semicolon,
    /// `network`
    Network,
    /// A statement (`input`, `weights`, `let`, `output`).
    Statement,
    /// A name.
    Name,
    /// A tensor expression: a name or an operator call.
    Expr,
    /// A named argument `name = value`.
    Attr,
    /// An attribute value.
    Value,
    /// An integer.
    Integer,
    /// A string literal.
    Str,
    /// An element type.
    DType,
    /// `:`
    Colon,
    /// `=`
    Equals,
    /// `(`
    OpenParen,
    /// `[`
    OpenBracket,
    /// `{`
    OpenBrace,
    /// `,`
    Comma,
    /// `)`
    CloseParen,
    /// `]`
    CloseBracket,
    /// `<`
    OpenAngle,
    /// `>`
    CloseAngle,
    /// `}`
    CloseBrace,
    /// The end of the file.
    EndOfFile,
}

impl Expected {
    fn from_rule(rule: Rule) -> Option<Expected> {
        Some(match rule {
            Rule::semi => Expected::Semicolon,
            Rule::kw_network | Rule::network => Expected::Network,
            Rule::statement
            | Rule::input_stmt
            | Rule::weights_stmt
            | Rule::let_stmt
            | Rule::output_stmt
            | Rule::kw_input
            | Rule::kw_weights
            | Rule::kw_let
            | Rule::kw_output => Expected::Statement,
            Rule::ident => Expected::Name,
            Rule::expr | Rule::call => Expected::Expr,
            Rule::attr => Expected::Attr,
            Rule::value | Rule::float | Rule::word | Rule::list => Expected::Value,
            Rule::int => Expected::Integer,
            Rule::string | Rule::string_body => Expected::Str,
            Rule::dtype | Rule::qtype | Rule::kw_q7 | Rule::kw_q15 => Expected::DType,
            Rule::langle => Expected::OpenAngle,
            Rule::rangle => Expected::CloseAngle,
            Rule::colon => Expected::Colon,
            Rule::eq => Expected::Equals,
            Rule::lparen => Expected::OpenParen,
            Rule::lbrack => Expected::OpenBracket,
            Rule::lbrace => Expected::OpenBrace,
            Rule::comma => Expected::Comma,
            Rule::rparen => Expected::CloseParen,
            Rule::rbrack => Expected::CloseBracket,
            Rule::rbrace => Expected::CloseBrace,
            Rule::EOI => Expected::EndOfFile,
            Rule::file
            | Rule::WHITESPACE
            | Rule::COMMENT
            | Rule::arg
            | Rule::exponent
            | Rule::name_chars
            | Rule::ident_char
            | Rule::keyword => return None,
        })
    }

    fn words(self) -> &'static str {
        match self {
            Expected::Semicolon => "`;`",
            Expected::Network => "`network`",
            Expected::Statement => "a statement",
            Expected::Name => "a name",
            Expected::Expr => "a tensor expression",
            Expected::Attr => "a named argument",
            Expected::Value => "a value",
            Expected::Integer => "an integer",
            Expected::Str => "a string",
            Expected::DType => "an element type (`i8`, `f32`, `q7<F>` or `q15<F>`)",
            Expected::Colon => "`:`",
            Expected::Equals => "`=`",
            Expected::OpenParen => "`(`",
            Expected::OpenBracket => "`[`",
            Expected::OpenAngle => "`<`",
            Expected::CloseAngle => "`>`",
            Expected::OpenBrace => "`{`",
            Expected::Comma => "`,`",
            Expected::CloseParen => "`)`",
            Expected::CloseBracket => "`]`",
            Expected::CloseBrace => "`}`",
            Expected::EndOfFile => "the end of the file",
        }
    }
}

/// "a", "a or b", "a, b or c".
fn one_of(expected: &[Expected]) -> String {
    let words: Vec<&str> = expected.iter().map(|e| e.words()).collect();
    match words.split_last() {
        None => "something else".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The text found where the parser stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Found {
    /// The source ended.
    EndOfFile,
    /// A token, as written (shortened when long).
    Token(String),
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Found::EndOfFile => f.write_str("the end of the file"),
            Found::Token(t) => write!(f, "`{t}`"),
        }
    }
}

/// A syntax error of a `.nnd` source.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ParseError {
    /// The parser expected one thing and found another.
    #[error("{}", unexpected_message(expected, found))]
    Unexpected {
        /// What would have been accepted (never empty).
        expected: Vec<Expected>,
        /// What was there.
        found: Found,
        /// Where (empty at the end of the file).
        span: Span,
        /// An unclosed delimiter that the missing token should close.
        unclosed: Option<(char, Span)>,
        /// How to fix it, when obvious.
        help: Option<String>,
    },
    /// A statement starts with a word that is not a statement keyword.
    #[error("expected a statement, found unknown keyword `{word}`")]
    UnknownStatement {
        /// The word.
        word: String,
        /// Its span.
        span: Span,
        /// The closest statement keyword, if any is close.
        suggestion: Option<&'static str>,
    },
    /// A keyword where a name is needed.
    #[error("expected a name, found keyword `{word}`")]
    KeywordAsName {
        /// The keyword.
        word: &'static str,
        /// Its span.
        span: Span,
    },
    /// A `"` without its closing `"`.
    #[error("unterminated string")]
    UnterminatedString {
        /// The opening quote.
        span: Span,
    },
    /// A backslash escape other than `\"` and `\\`.
    #[error("unknown escape `\\{ch}` in a string")]
    InvalidEscape {
        /// The character after the backslash.
        ch: char,
        /// The backslash and that character.
        span: Span,
    },
    /// A `/*` without its `*/`.
    #[error("unterminated block comment")]
    UnterminatedComment {
        /// The opening `/*`.
        span: Span,
    },
    /// An integer literal outside the i64 range.
    #[error("integer `{text}` does not fit in a 64-bit signed integer")]
    IntOverflow {
        /// The literal as written.
        text: String,
        /// Its span.
        span: Span,
    },
    /// A float literal too large for f64.
    #[error("number `{text}` is too large for a 64-bit float")]
    FloatOverflow {
        /// The literal as written.
        text: String,
        /// Its span.
        span: Span,
    },
    /// `op(a = 1, x)`.
    #[error("positional argument after a named argument in the call to `{op}`")]
    PositionalAfterNamed {
        /// The operator name.
        op: String,
        /// The misplaced positional argument.
        positional: Span,
        /// The first named argument of the call.
        first_named: Span,
    },
    /// A second `network` block.
    #[error("a file holds exactly one network, but `{name}` is a second one")]
    SeveralNetworks {
        /// The extra network's name.
        name: String,
        /// Its header (`network Name`).
        span: Span,
        /// The first network's header.
        first: Span,
    },
    /// Brackets nested deeper than [`MAX_DEPTH`].
    #[error("brackets are nested more than {MAX_DEPTH} levels deep")]
    TooDeep {
        /// The first delimiter beyond the limit.
        span: Span,
    },
    /// pest gave up (its call or stack limit).
    #[error("the parser gave up: {message}")]
    Limit {
        /// pest's message.
        message: String,
        /// Where.
        span: Span,
    },
    /// The source is too large for 32-bit spans.
    #[error("the source is {len} bytes long; the limit is 4 GiB")]
    TooLarge {
        /// Its length in bytes.
        len: usize,
    },
    /// The grammar accepted something the AST builder does not understand (a bug in nnd).
    #[error("internal error: the parse tree has an unexpected shape here")]
    Internal {
        /// Where.
        span: Span,
    },
}

fn unexpected_message(expected: &[Expected], found: &Found) -> String {
    if expected.contains(&Expected::Semicolon) {
        format!("expected `;` after the statement, found {found}")
    } else {
        format!("expected {}, found {found}", one_of(expected))
    }
}

impl ParseError {
    /// The stable diagnostic code.
    pub fn code(&self) -> &'static str {
        match self {
            ParseError::Unexpected { .. } => "E0001",
            ParseError::UnknownStatement { .. } => "E0002",
            ParseError::KeywordAsName { .. } => "E0003",
            ParseError::UnterminatedString { .. } => "E0004",
            ParseError::InvalidEscape { .. } => "E0005",
            ParseError::UnterminatedComment { .. } => "E0006",
            ParseError::IntOverflow { .. } => "E0007",
            ParseError::FloatOverflow { .. } => "E0008",
            ParseError::PositionalAfterNamed { .. } => "E0009",
            ParseError::SeveralNetworks { .. } => "E0010",
            ParseError::TooDeep { .. } => "E0011",
            ParseError::Limit { .. } => "E0012",
            ParseError::TooLarge { .. } => "E0013",
            ParseError::Internal { .. } => "E0099",
        }
    }

    /// The error as a diagnostic.
    pub fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.code(), self.to_string());
        match self {
            ParseError::Unexpected {
                expected,
                span,
                unclosed,
                help,
                ..
            } => {
                let label = if expected.contains(&Expected::Semicolon) {
                    "expected `;` before this".to_owned()
                } else {
                    format!("expected {}", one_of(expected))
                };
                let mut d = d.with_primary(*span, label);
                if let Some((ch, open)) = unclosed {
                    d = d.with_secondary(*open, format!("unclosed `{ch}`"));
                }
                match help {
                    Some(h) => d.with_help(h.clone()),
                    None => d,
                }
            }
            ParseError::UnknownStatement {
                span, suggestion, ..
            } => {
                let d = d.with_primary(*span, "not a statement keyword").with_note(
                    "a statement starts with `input`, `weights`, `let` or `output`; \
                     the network block ends with `}`",
                );
                match suggestion {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d,
                }
            }
            ParseError::KeywordAsName { word, span } => d
                .with_primary(*span, "a keyword cannot be used as a name")
                .with_help(format!("rename it, e.g. `{word}_` or `{word}1`")),
            ParseError::UnterminatedString { span } => d
                .with_primary(*span, "this string is never closed")
                .with_help("add the closing `\"`"),
            ParseError::InvalidEscape { span, .. } => d
                .with_primary(*span, "unknown escape")
                .with_note("a string accepts only the escapes `\\\"` and `\\\\`"),
            ParseError::UnterminatedComment { span } => d
                .with_primary(*span, "this comment is never closed")
                .with_help("add `*/` where the comment ends (block comments do not nest)"),
            ParseError::IntOverflow { span, .. } => d
                .with_primary(*span, "out of range")
                .with_note("integers range from -9223372036854775808 to 9223372036854775807"),
            ParseError::FloatOverflow { span, .. } => d.with_primary(*span, "out of range"),
            ParseError::PositionalAfterNamed {
                positional,
                first_named,
                ..
            } => d
                .with_primary(*positional, "positional argument")
                .with_secondary(*first_named, "named arguments start here")
                .with_help("put the input tensors first: `op(x, y, name = value)`"),
            ParseError::SeveralNetworks { span, first, .. } => d
                .with_primary(*span, "second network")
                .with_secondary(*first, "first network")
                .with_help("put each network in its own .nnd file"),
            ParseError::TooDeep { span } => d
                .with_primary(
                    *span,
                    format!("nesting level {} starts here", MAX_DEPTH + 1),
                )
                .with_note(format!(
                    "`(`, `[` and `{{` may nest at most {MAX_DEPTH} levels deep"
                )),
            ParseError::Limit { span, .. } => d.with_primary(*span, "here"),
            ParseError::TooLarge { .. } => d,
            ParseError::Internal { span } => d
                .with_primary(*span, "here")
                .with_note("this is a bug in nnd; please report it with the source"),
        }
    }

    /// Turns a pest failure into the most helpful [`ParseError`].
    pub(crate) fn from_pest(error: PestError<Rule>, source: &str) -> ParseError {
        let pos = match error.location {
            InputLocation::Pos(p) => p,
            InputLocation::Span((start, _)) => start,
        }
        .min(source.len());
        let positives = match error.variant {
            ErrorVariant::ParsingError { positives, .. } => positives,
            ErrorVariant::CustomError { message } => {
                return ParseError::Limit {
                    message,
                    span: Span::new(pos, pos),
                }
            }
        };
        let mut expected: Vec<Expected> = positives
            .into_iter()
            .filter_map(Expected::from_rule)
            .collect();
        expected.sort();
        expected.dedup();
        // A tensor expression or a named argument starts with a name: say the larger thing.
        if expected.contains(&Expected::Expr) || expected.contains(&Expected::Attr) {
            expected.retain(|e| *e != Expected::Name);
        }
        // Where a call argument may start, a named argument may start too.
        if expected.contains(&Expected::Expr)
            && expected.contains(&Expected::CloseParen)
            && !expected.contains(&Expected::Attr)
        {
            expected.push(Expected::Attr);
            expected.sort();
        }
        if expected.is_empty() {
            expected.push(Expected::EndOfFile);
        }
        classify(expected, pos, source)
    }
}

/// The token at `pos` and its span.
fn token_at(source: &str, pos: usize) -> (Found, Span) {
    let rest = source.get(pos..).unwrap_or("");
    let mut chars = rest.char_indices();
    let Some((_, first)) = chars.next() else {
        return (Found::EndOfFile, Span::new(pos, pos));
    };
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    let len = if first.is_ascii_alphanumeric() || first == '_' {
        rest.find(|c: char| !is_word(c)).unwrap_or(rest.len())
    } else if first == '-' && rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
        1 + rest[1..]
            .find(|c: char| !is_word(c))
            .unwrap_or(rest.len() - 1)
    } else if first == '"' {
        // The pre-scan guarantees the string is terminated; find the unescaped closing quote.
        let mut end = rest.len();
        let mut escaped = false;
        for (i, c) in rest.char_indices().skip(1) {
            match c {
                '\\' if !escaped => escaped = true,
                '"' if !escaped => {
                    end = i + 1;
                    break;
                }
                _ => escaped = false,
            }
        }
        end
    } else {
        first.len_utf8()
    };
    let text = &rest[..len];
    let shown: String = if text.chars().count() > MAX_FOUND_CHARS {
        let mut s: String = text.chars().take(MAX_FOUND_CHARS).collect();
        s.push_str("...");
        s
    } else {
        text.chars().flat_map(char::escape_debug).collect()
    };
    // Quote escaping adds noise to a found string; show strings as written.
    let shown = if first == '"' && text.chars().count() <= MAX_FOUND_CHARS {
        text.to_owned()
    } else {
        shown
    };
    (Found::Token(shown), Span::new(pos, pos + len))
}

fn is_name(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
fn closest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn classify(mut expected: Vec<Expected>, pos: usize, source: &str) -> ParseError {
    let (found, span) = token_at(source, pos);
    // `:` written for `=` or the reverse: name the one fix instead of every possible token.
    let found_text = match &found {
        Found::Token(t) => t.as_str(),
        Found::EndOfFile => "",
    };
    for (written, meant) in [(":", Expected::Equals), ("=", Expected::Colon)] {
        if found_text == written && expected.contains(&meant) {
            expected = vec![meant];
        }
    }
    let word = match &found {
        Found::Token(t) if is_name(t) => Some(t.as_str()),
        _ => None,
    };
    let keyword = word.and_then(|w| KEYWORDS.iter().find(|k| **k == w).copied());

    if let Some(k) = keyword {
        if expected.contains(&Expected::Name) || expected.contains(&Expected::Expr) {
            return ParseError::KeywordAsName { word: k, span };
        }
    }
    if let (Some(w), None) = (word, keyword) {
        if expected.contains(&Expected::Statement) {
            return ParseError::UnknownStatement {
                word: w.to_owned(),
                span,
                suggestion: closest(w, &STATEMENT_KEYWORDS),
            };
        }
    }

    let closer = expected.iter().find_map(|e| match e {
        Expected::CloseParen => Some(')'),
        Expected::CloseBracket => Some(']'),
        Expected::CloseBrace => Some('}'),
        _ => None,
    });
    let unclosed = closer.and_then(|_| lex::unclosed_before(source, pos));
    let unclosed = unclosed.filter(|(open, _)| {
        let close = match open {
            '(' => Expected::CloseParen,
            '[' => Expected::CloseBracket,
            _ => Expected::CloseBrace,
        };
        expected.contains(&close)
    });

    let help = help_for(&expected, &found, word, keyword, unclosed);
    // Point at the unclosed delimiter only when the fix is to close it.
    let unclosed = unclosed.filter(|_| {
        help.as_deref()
            .is_some_and(|h| h.starts_with("add the missing"))
    });
    ParseError::Unexpected {
        expected,
        found,
        span,
        unclosed,
        help,
    }
}

fn help_for(
    expected: &[Expected],
    found: &Found,
    word: Option<&str>,
    keyword: Option<&str>,
    unclosed: Option<(char, Span)>,
) -> Option<String> {
    let has = |e: Expected| expected.contains(&e);
    let found_text = match found {
        Found::Token(t) => t.as_str(),
        Found::EndOfFile => "",
    };
    if has(Expected::Network) && !has(Expected::EndOfFile) {
        if let Some(w) = word {
            if closest(w, &["network"]).is_some() {
                return Some("did you mean `network`?".to_owned());
            }
        }
        return Some("a .nnd file holds one `network Name { ... }` block".to_owned());
    }
    if has(Expected::EndOfFile) {
        return Some("nothing may follow the network's closing `}` except comments".to_owned());
    }
    if let Some((open, _)) = unclosed {
        let close = match open {
            '(' => ')',
            '[' => ']',
            _ => '}',
        };
        let ends_statement = matches!(found_text, ";" | "}" | "") || keyword.is_some();
        let other_closer = matches!(found_text, ")" | "]" | "}") && !found_text.starts_with(close);
        if ends_statement || other_closer || open == '{' {
            return Some(format!("add the missing `{close}`"));
        }
    }
    if has(Expected::Semicolon) && (word.is_some() || matches!(found_text, "}" | "")) {
        return Some("add `;` at the end of the statement".to_owned());
    }
    if has(Expected::Colon) && found_text == "=" {
        return Some(
            "an input declares its type after `:`, as in `input x: i8[49, 10, 1];`".to_owned(),
        );
    }
    if has(Expected::Equals) && found_text == ":" {
        return Some("write `=` here: `let y = op(x);`, `name = value` in a call".to_owned());
    }
    if has(Expected::DType) {
        return Some(
            "the element type is `i8` (quantised int8), `f32`, `q7<F>` or `q15<F>` (power-of-two \
             q7 / q15 with F fractional bits)"
                .to_owned(),
        );
    }
    if has(Expected::Str) && !found_text.is_empty() && !found_text.starts_with('"') {
        return Some(
            "write the path in double quotes: `weights \"model.safetensors\";`".to_owned(),
        );
    }
    if has(Expected::Integer) && found_text.contains('.') {
        return Some("dimensions are whole numbers".to_owned());
    }
    let first = found_text.chars().next();
    if has(Expected::Comma)
        && (word.is_some()
            || first.is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '"' | '[')))
    {
        return Some("separate the items with `,`".to_owned());
    }
    if has(Expected::Expr)
        && has(Expected::Attr)
        && first.is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '"' | '['))
    {
        return Some(
            "a positional argument is a tensor (a name or a call); write other values as `name = value`"
                .to_owned(),
        );
    }
    if has(Expected::Value) && found_text == "(" {
        return Some("a list is written in brackets: `[1, 2]`".to_owned());
    }
    if first.is_some_and(|c| !c.is_ascii() && c.is_alphanumeric()) {
        return Some("names use ASCII letters, digits and `_`".to_owned());
    }
    if has(Expected::Name) && first.is_some_and(|c| c.is_ascii_digit()) {
        return Some("a name starts with a letter or `_`".to_owned());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_at_shapes() {
        assert_eq!(
            token_at("ab_1 x", 0),
            (Found::Token("ab_1".into()), Span::new(0, 4))
        );
        assert_eq!(
            token_at("x -1.5e3,", 2),
            (Found::Token("-1.5e3".into()), Span::new(2, 8))
        );
        assert_eq!(token_at("x", 1), (Found::EndOfFile, Span::new(1, 1)));
        assert_eq!(
            token_at("é", 0),
            (Found::Token("é".into()), Span::new(0, 2))
        );
        assert_eq!(token_at("\"a\\\"b\" c", 0).1, Span::new(0, 6));
    }

    #[test]
    fn did_you_mean() {
        assert_eq!(closest("ouput", &STATEMENT_KEYWORDS), Some("output"));
        assert_eq!(closest("inpt", &STATEMENT_KEYWORDS), Some("input"));
        assert_eq!(closest("weight", &STATEMENT_KEYWORDS), Some("weights"));
        assert_eq!(closest("conv2d", &STATEMENT_KEYWORDS), None);
    }

    #[test]
    fn lists_in_words() {
        assert_eq!(one_of(&[Expected::Comma]), "`,`");
        assert_eq!(
            one_of(&[Expected::Comma, Expected::CloseParen]),
            "`,` or `)`"
        );
        assert_eq!(
            one_of(&[Expected::Expr, Expected::Comma, Expected::CloseParen]),
            "a tensor expression, `,` or `)`"
        );
    }
}
