//! Recursive descent over `proc_macro2` token trees into the shared AST.
//!
//! The grammar is the one of `front/nnd/grammar.pest` (docs/language.md), read from token trees
//! instead of characters: a bracketed or parenthesised group is one token tree whose contents are
//! parsed by a nested [`Stream`]. Every consumed token is appended to the [`SpanTable`] at the
//! moment it is consumed, so that indices follow source order.

use proc_macro2::{Delimiter, Group, Span as PmSpan, TokenStream, TokenTree};

use super::{Parsed, SpanTable};
use crate::diag::Diagnostic;
use crate::front::ast::{Attr, Call, DType, Expr, Ident, Item, Network, Value};
use crate::span::{Span, Spanned};

/// The statement keywords, in the order they are suggested.
const STATEMENT_KEYWORDS: [&str; 4] = ["input", "weights", "let", "output"];
/// Every keyword (none is usable as a name).
const KEYWORDS: [&str; 5] = ["network", "input", "weights", "let", "output"];
/// Longest token quoted in a message.
const MAX_FOUND_CHARS: usize = 32;

pub(super) fn parse(tokens: TokenStream) -> Parsed {
    let mut p = Parser {
        table: SpanTable::new(),
        errors: Vec::new(),
    };
    let mut s = Stream::new(tokens, PmSpan::call_site(), "the end of the macro input");
    let network = p.network(&mut s);
    if network.is_some() {
        if let Some(tok) = s.peek() {
            let text = token_text(tok);
            let at = p.error_at(&s);
            p.errors.push(
                Diagnostic::error(
                    "E0001",
                    format!("expected the end of the macro input, found `{text}`"),
                )
                .with_primary(at, "unexpected token")
                .with_help("the macro takes exactly one `network Name { ... }` block"),
            );
        }
    }
    Parsed {
        network,
        table: p.table,
        errors: p.errors,
    }
}

/// The token trees of one group (or of the whole input) and a cursor.
struct Stream {
    toks: Vec<TokenTree>,
    pos: usize,
    /// Where "the end" of this stream is: the group's closing delimiter, or the call site.
    end: PmSpan,
    end_text: &'static str,
}

impl Stream {
    fn new(tokens: TokenStream, end: PmSpan, end_text: &'static str) -> Self {
        Stream {
            toks: tokens.into_iter().collect(),
            pos: 0,
            end,
            end_text,
        }
    }

    fn of_group(g: &Group) -> Self {
        let end_text = match g.delimiter() {
            Delimiter::Parenthesis => "`)`",
            Delimiter::Bracket => "`]`",
            Delimiter::Brace => "`}`",
            Delimiter::None => "the end of the group",
        };
        Stream::new(g.stream(), g.span_close(), end_text)
    }

    fn peek(&self) -> Option<&TokenTree> {
        self.toks.get(self.pos)
    }

    fn peek_nth(&self, n: usize) -> Option<&TokenTree> {
        self.toks.get(self.pos + n)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }

    fn is_punct(&self, ch: char) -> bool {
        is_punct(self.peek(), ch)
    }

    /// The next token is a single `=` (not `==` or `=>`).
    fn is_single_eq(&self, n: usize) -> bool {
        match self.peek_nth(n) {
            Some(TokenTree::Punct(p)) if p.as_char() == '=' => {
                p.spacing() == proc_macro2::Spacing::Alone
                    || !matches!(self.peek_nth(n + 1), Some(TokenTree::Punct(q)) if matches!(q.as_char(), '=' | '>'))
            }
            _ => false,
        }
    }
}

fn is_punct(tok: Option<&TokenTree>, ch: char) -> bool {
    matches!(tok, Some(TokenTree::Punct(p)) if p.as_char() == ch)
}

fn is_group(tok: Option<&TokenTree>, delim: Delimiter) -> bool {
    matches!(tok, Some(TokenTree::Group(g)) if g.delimiter() == delim)
}

/// An identifier's name without the `r#` of a raw identifier.
fn ident_name(id: &proc_macro2::Ident) -> String {
    let s = id.to_string();
    match s.strip_prefix("r#") {
        Some(rest) => rest.to_owned(),
        None => s,
    }
}

/// A token as quoted in messages (a group by its opening delimiter).
fn token_text(tok: &TokenTree) -> String {
    let text = match tok {
        TokenTree::Group(g) => match g.delimiter() {
            Delimiter::Parenthesis => "(".to_owned(),
            Delimiter::Bracket => "[".to_owned(),
            Delimiter::Brace => "{".to_owned(),
            Delimiter::None => g.stream().to_string(),
        },
        other => other.to_string(),
    };
    if text.chars().count() > MAX_FOUND_CHARS {
        let mut short: String = text.chars().take(MAX_FOUND_CHARS).collect();
        short.push_str("...");
        short
    } else {
        text
    }
}

fn closest(word: &str, candidates: &[&'static str]) -> Option<&'static str> {
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= (c.len() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

struct Parser {
    table: SpanTable,
    errors: Vec<Diagnostic>,
}

impl Parser {
    /// Consumes the next token (whatever it is) and returns its one-token span. For a group,
    /// only the opening delimiter is recorded; see [`Parser::enter`].
    fn bump(&mut self, s: &mut Stream) -> Span {
        let Some(tok) = s.toks.get(s.pos) else {
            let i = self.table.push(s.end, s.end_text);
            return one(i);
        };
        let (span, text) = match tok {
            TokenTree::Group(g) => (g.span_open(), token_text(tok)),
            other => (other.span(), other.to_string()),
        };
        s.pos += 1;
        one(self.table.push(span, text))
    }

    /// Consumes a group: records its opening delimiter, parses its contents with `f`, records
    /// its closing delimiter. Returns the span from `(` to `)` and `f`'s result.
    fn enter<T>(
        &mut self,
        s: &mut Stream,
        f: impl FnOnce(&mut Parser, &mut Stream) -> T,
    ) -> Option<(Span, T)> {
        let Some(TokenTree::Group(g)) = s.peek() else {
            return None;
        };
        let g = g.clone();
        let open = self.bump(s);
        let mut inner = Stream::of_group(&g);
        let value = f(self, &mut inner);
        let close = one(self.table.push(g.span_close(), close_text(g.delimiter())));
        Some((open.join(close), value))
    }

    /// A span for an error at the current token (or at the end of the stream), recorded out of
    /// order: it is only used by the error itself.
    fn error_at(&mut self, s: &Stream) -> Span {
        match s.peek() {
            Some(TokenTree::Group(g)) => one(self
                .table
                .push(g.span_open(), token_text(&TokenTree::Group(g.clone())))),
            Some(tok) => one(self.table.push(tok.span(), tok.to_string())),
            None => one(self.table.push(s.end, s.end_text)),
        }
    }

    fn found(s: &Stream) -> String {
        match s.peek() {
            Some(tok) => format!("`{}`", token_text(tok)),
            None => s.end_text.to_owned(),
        }
    }

    /// Records "expected X, found Y" (E0001) at the current token.
    fn unexpected(&mut self, s: &Stream, expected: &str, help: Option<String>) {
        let found = Parser::found(s);
        let at = self.error_at(s);
        let mut d = Diagnostic::error("E0001", format!("expected {expected}, found {found}"))
            .with_primary(at, format!("expected {expected}"));
        if let Some(h) = help.or_else(|| generic_help(expected, s)) {
            d = d.with_help(h);
        }
        self.errors.push(d);
    }

    fn expect_punct(&mut self, s: &mut Stream, ch: char, help: Option<String>) -> Option<Span> {
        if s.is_punct(ch) {
            Some(self.bump(s))
        } else {
            self.unexpected(s, &format!("`{ch}`"), help);
            None
        }
    }

    /// A name: an identifier that is not a keyword, ASCII only.
    fn name(&mut self, s: &mut Stream, what: &str) -> Option<Ident> {
        match s.peek() {
            Some(TokenTree::Ident(id)) => {
                let name = ident_name(id);
                if KEYWORDS.contains(&name.as_str()) {
                    let at = self.error_at(s);
                    self.errors.push(
                        Diagnostic::error(
                            "E0003",
                            format!("expected a name, found keyword `{name}`"),
                        )
                        .with_primary(at, "a keyword cannot be used as a name")
                        .with_help(format!("rename it, e.g. `{name}_` or `{name}1`")),
                    );
                    return None;
                }
                if !name.is_ascii() {
                    self.unexpected(
                        s,
                        what,
                        Some("names use ASCII letters, digits and `_`".to_owned()),
                    );
                    return None;
                }
                let span = self.bump(s);
                Some(Spanned::new(name, span))
            }
            _ => {
                self.unexpected(s, what, None);
                None
            }
        }
    }

    /// `network Name { statement* }`
    fn network(&mut self, s: &mut Stream) -> Option<Network> {
        match s.peek() {
            Some(TokenTree::Ident(id)) if ident_name(id) == "network" => {}
            Some(TokenTree::Ident(id)) if closest(&ident_name(id), &["network"]).is_some() => {
                self.unexpected(s, "`network`", Some("did you mean `network`?".to_owned()));
                return None;
            }
            _ => {
                self.unexpected(
                    s,
                    "`network`",
                    Some("the macro body is one `network Name { ... }` block".to_owned()),
                );
                return None;
            }
        }
        let kw = self.bump(s);
        let name = self.name(s, "a name")?;
        if !is_group(s.peek(), Delimiter::Brace) {
            self.unexpected(s, "`{`", None);
            return None;
        }
        let (body, items) = self.enter(s, |p, inner| p.statements(inner))?;
        Some(Network {
            name,
            items,
            span: kw.join(body),
        })
    }

    fn statements(&mut self, s: &mut Stream) -> Vec<Item> {
        let mut items = Vec::new();
        while !s.at_end() {
            let before = self.errors.len();
            match self.statement(s) {
                Some(item) => items.push(item),
                None => {
                    // Recover: skip to the end of this statement.
                    if self.errors.len() == before {
                        self.unexpected(s, "a statement", None);
                    }
                    while let Some(tok) = s.peek() {
                        let semi = matches!(tok, TokenTree::Punct(p) if p.as_char() == ';');
                        s.pos += 1;
                        if semi {
                            break;
                        }
                    }
                }
            }
        }
        items
    }

    fn statement(&mut self, s: &mut Stream) -> Option<Item> {
        let word = match s.peek() {
            Some(TokenTree::Ident(id)) => ident_name(id),
            _ => {
                self.unexpected(s, "a statement", None);
                return None;
            }
        };
        match word.as_str() {
            "input" => self.input(s),
            "weights" => {
                let kw = self.bump(s);
                let path = self.string(s)?;
                let semi = self.semicolon(s)?;
                Some(Item::Weights {
                    path,
                    span: kw.join(semi),
                })
            }
            "let" => {
                let kw = self.bump(s);
                let name = self.name(s, "a name")?;
                self.expect_punct(s, '=', None)?;
                let value = self.expr(s)?;
                let semi = self.semicolon(s)?;
                Some(Item::Let {
                    name,
                    value,
                    span: kw.join(semi),
                })
            }
            "output" => {
                let kw = self.bump(s);
                let name = if matches!(s.peek(), Some(TokenTree::Ident(_))) && s.is_single_eq(1) {
                    let n = self.name(s, "a name")?;
                    self.bump(s);
                    Some(n)
                } else {
                    None
                };
                let value = self.expr(s)?;
                let semi = self.semicolon(s)?;
                Some(Item::Output {
                    name,
                    value,
                    span: kw.join(semi),
                })
            }
            other => {
                let at = self.error_at(s);
                let mut d = Diagnostic::error(
                    "E0002",
                    format!("expected a statement, found unknown keyword `{other}`"),
                )
                .with_primary(at, "not a statement keyword")
                .with_note("a statement starts with `input`, `weights`, `let` or `output`");
                if let Some(k) = closest(other, &STATEMENT_KEYWORDS) {
                    d = d.with_help(format!("did you mean `{k}`?"));
                }
                self.errors.push(d);
                None
            }
        }
    }

    fn semicolon(&mut self, s: &mut Stream) -> Option<Span> {
        self.expect_punct(
            s,
            ';',
            Some("add `;` at the end of the statement".to_owned()),
        )
    }

    /// `input name: dtype[dims];`
    fn input(&mut self, s: &mut Stream) -> Option<Item> {
        let kw = self.bump(s);
        let name = self.name(s, "a name")?;
        let colon_help = s.is_punct('=').then(|| {
            "an input declares its type after `:`, as in `input x: i8[49, 10, 1];`".to_owned()
        });
        self.expect_punct(s, ':', colon_help)?;
        let dtype = match s.peek() {
            Some(TokenTree::Ident(id)) if matches!(ident_name(id).as_str(), "i8" | "f32") => {
                let ty = if ident_name(id) == "i8" {
                    DType::I8
                } else {
                    DType::F32
                };
                Spanned::new(ty, self.bump(s))
            }
            // `q7<F>` / `q15<F>`: the tokens `q7` or `q15`, `<`, an integer, `>`.
            Some(TokenTree::Ident(id)) if matches!(ident_name(id).as_str(), "q7" | "q15") => {
                let q15 = ident_name(id) == "q15";
                let first = self.bump(s);
                self.expect_punct(s, '<', None)?;
                let frac = self.int(s, "an integer (the fractional bits)")?;
                let last = self.expect_punct(s, '>', None)?;
                let ty = if q15 {
                    DType::Q15 { frac: frac.node }
                } else {
                    DType::Q7 { frac: frac.node }
                };
                Spanned::new(ty, first.join(last))
            }
            _ => {
                self.unexpected(
                    s,
                    "an element type (`i8`, `f32`, `q7<F>` or `q15<F>`)",
                    Some(
                        "the element type is `i8` (quantised int8), `f32`, `q7<F>` or `q15<F>` \
                         (power-of-two q7 / q15 with F fractional bits)"
                            .to_owned(),
                    ),
                );
                return None;
            }
        };
        if !is_group(s.peek(), Delimiter::Bracket) {
            self.unexpected(s, "`[`", None);
            return None;
        }
        let (_, dims) = self.enter(s, |p, inner| {
            p.comma_list(inner, |p, inner| p.int(inner, "an integer"))
        })?;
        let dims = dims?;
        let semi = self.semicolon(s)?;
        Some(Item::Input {
            name,
            dtype,
            dims,
            span: kw.join(semi),
        })
    }

    /// `item (, item)* ,?` up to the end of the stream; `None` if any item failed.
    fn comma_list<T>(
        &mut self,
        s: &mut Stream,
        mut item: impl FnMut(&mut Parser, &mut Stream) -> Option<T>,
    ) -> Option<Vec<T>> {
        let mut out = Vec::new();
        while !s.at_end() {
            out.push(item(self, s)?);
            if s.at_end() {
                break;
            }
            let help = (!s.is_punct(',')).then(|| "separate the items with `,`".to_owned());
            self.expect_punct(s, ',', help)?;
        }
        Some(out)
    }

    /// An optionally negative integer literal without a suffix.
    fn int(&mut self, s: &mut Stream, what: &str) -> Option<Spanned<i64>> {
        let negative = s.is_punct('-');
        let lit_at = usize::from(negative);
        match s.peek_nth(lit_at) {
            Some(TokenTree::Literal(lit)) => match syn::Lit::new(lit.clone()) {
                syn::Lit::Int(i) if i.suffix().is_empty() => {
                    let text = if negative {
                        format!("-{}", i.base10_digits())
                    } else {
                        i.base10_digits().to_owned()
                    };
                    let first = self.bump(s);
                    let span = if negative {
                        first.join(self.bump(s))
                    } else {
                        first
                    };
                    match text.parse::<i64>() {
                        Ok(v) => Some(Spanned::new(v, span)),
                        Err(_) => {
                            self.errors.push(
                                Diagnostic::error(
                                    "E0007",
                                    format!("integer `{text}` does not fit in a 64-bit signed integer"),
                                )
                                .with_primary(span, "out of range")
                                .with_note(
                                    "integers range from -9223372036854775808 to 9223372036854775807",
                                ),
                            );
                            None
                        }
                    }
                }
                syn::Lit::Int(_) | syn::Lit::Float(_) if !lit_suffix(lit).is_empty() => {
                    self.suffix_error(s, lit_at);
                    None
                }
                _ => {
                    s.pos += lit_at;
                    self.unexpected(s, what, Some("dimensions are whole numbers".to_owned()));
                    None
                }
            },
            _ => {
                s.pos += lit_at;
                self.unexpected(s, what, None);
                None
            }
        }
    }

    fn suffix_error(&mut self, s: &mut Stream, lit_at: usize) {
        s.pos += lit_at;
        let text = s.peek().map(token_text).unwrap_or_default();
        let at = self.error_at(s);
        self.errors.push(
            Diagnostic::error("E0001", format!("number `{text}` has a type suffix"))
                .with_primary(at, "suffix not allowed")
                .with_help("write the number without a suffix: the operator decides its type"),
        );
    }

    fn string(&mut self, s: &mut Stream) -> Option<Spanned<String>> {
        if let Some(TokenTree::Literal(lit)) = s.peek() {
            if let syn::Lit::Str(v) = syn::Lit::new(lit.clone()) {
                if v.suffix().is_empty() {
                    let span = self.bump(s);
                    return Some(Spanned::new(v.value(), span));
                }
            }
        }
        let help = matches!(s.peek(), Some(TokenTree::Ident(_))).then(|| {
            "write the path in double quotes: `weights \"model.safetensors\";`".to_owned()
        });
        self.unexpected(s, "a string", help);
        None
    }

    /// `name` or `name(args)`
    fn expr(&mut self, s: &mut Stream) -> Option<Expr> {
        let name = self.name(s, "a tensor expression")?;
        if !is_group(s.peek(), Delimiter::Parenthesis) {
            return Some(Expr::Ref(name));
        }
        let op_name = name.node.clone();
        let (args_span, args) = self.enter(s, |p, inner| p.args(inner, &op_name))?;
        let (inputs, attrs) = args?;
        Some(Expr::Call(Call {
            span: name.span.join(args_span),
            op: name,
            inputs,
            attrs,
        }))
    }

    /// Call arguments: positional tensor inputs, then `name = value` attributes.
    fn args(&mut self, s: &mut Stream, op: &str) -> Option<(Vec<Expr>, Vec<Attr>)> {
        let mut inputs = Vec::new();
        let mut attrs = Vec::new();
        let mut first_named: Option<Span> = None;
        let mut ok = true;
        while !s.at_end() {
            if matches!(s.peek(), Some(TokenTree::Ident(_))) && s.is_single_eq(1) {
                let name = self.name(s, "a name")?;
                self.bump(s);
                let value = self.value(s)?;
                let span = name.span.join(value.span());
                first_named.get_or_insert(span);
                attrs.push(Attr { name, value, span });
            } else if matches!(s.peek(), Some(TokenTree::Ident(_))) {
                let e = self.expr(s)?;
                if let Some(named) = first_named {
                    self.errors.push(
                        Diagnostic::error(
                            "E0009",
                            format!(
                                "positional argument after a named argument in the call to `{op}`"
                            ),
                        )
                        .with_primary(e.span(), "positional argument")
                        .with_secondary(named, "named arguments start here")
                        .with_help("put the input tensors first: `op(x, y, name = value)`"),
                    );
                    ok = false;
                }
                inputs.push(e);
            } else {
                let help = matches!(
                    s.peek(),
                    Some(TokenTree::Literal(_)) | Some(TokenTree::Group(_))
                ) || s.is_punct('-');
                self.unexpected(
                    s,
                    "a tensor expression or a named argument",
                    help.then(|| {
                        "a positional argument is a tensor (a name or a call); write other values as `name = value`"
                            .to_owned()
                    }),
                );
                return None;
            }
            if s.at_end() {
                break;
            }
            let help = (!s.is_punct(',')).then(|| "separate the arguments with `,`".to_owned());
            self.expect_punct(s, ',', help)?;
        }
        ok.then_some((inputs, attrs))
    }

    /// An attribute value: number, string, word or list.
    fn value(&mut self, s: &mut Stream) -> Option<Value> {
        let negative = s.is_punct('-');
        let lit_at = usize::from(negative);
        match s.peek_nth(lit_at) {
            Some(TokenTree::Literal(lit)) => {
                let lit = lit.clone();
                match syn::Lit::new(lit.clone()) {
                    syn::Lit::Int(i) if i.suffix().is_empty() => {
                        self.int(s, "a value").map(Value::Int)
                    }
                    syn::Lit::Float(f) if f.suffix().is_empty() => {
                        let text = if negative {
                            format!("-{}", f.base10_digits())
                        } else {
                            f.base10_digits().to_owned()
                        };
                        let first = self.bump(s);
                        let span = if negative {
                            first.join(self.bump(s))
                        } else {
                            first
                        };
                        match text.parse::<f64>() {
                            Ok(v) if v.is_finite() => Some(Value::Float(Spanned::new(v, span))),
                            _ => {
                                self.errors.push(
                                    Diagnostic::error(
                                        "E0008",
                                        format!("number `{text}` is too large for a 64-bit float"),
                                    )
                                    .with_primary(span, "out of range"),
                                );
                                None
                            }
                        }
                    }
                    syn::Lit::Str(v) if !negative && v.suffix().is_empty() => {
                        let span = self.bump(s);
                        Some(Value::Str(Spanned::new(v.value(), span)))
                    }
                    syn::Lit::Int(_) | syn::Lit::Float(_) => {
                        self.suffix_error(s, lit_at);
                        None
                    }
                    _ => {
                        s.pos += lit_at;
                        self.unexpected(s, "a value", None);
                        None
                    }
                }
            }
            Some(TokenTree::Ident(_)) if !negative => self.name(s, "a value").map(Value::Word),
            Some(TokenTree::Group(g)) if !negative && g.delimiter() == Delimiter::Bracket => {
                let (span, items) =
                    self.enter(s, |p, inner| p.comma_list(inner, |p, i| p.value(i)))?;
                Some(Value::List(Spanned::new(items?, span)))
            }
            Some(TokenTree::Group(g)) if !negative && g.delimiter() == Delimiter::Parenthesis => {
                self.unexpected(
                    s,
                    "a value",
                    Some("a list is written in brackets: `[1, 2]`".to_owned()),
                );
                None
            }
            _ => {
                s.pos += lit_at;
                self.unexpected(s, "a value", None);
                None
            }
        }
    }
}

fn one(index: u32) -> Span {
    Span {
        start: index,
        end: index.saturating_add(1),
    }
}

fn close_text(d: Delimiter) -> &'static str {
    match d {
        Delimiter::Parenthesis => ")",
        Delimiter::Bracket => "]",
        Delimiter::Brace => "}",
        Delimiter::None => "",
    }
}

fn lit_suffix(lit: &proc_macro2::Literal) -> String {
    match syn::Lit::new(lit.clone()) {
        syn::Lit::Int(i) => i.suffix().to_owned(),
        syn::Lit::Float(f) => f.suffix().to_owned(),
        _ => String::new(),
    }
}

/// Help for the common cases of a missing token.
fn generic_help(expected: &str, s: &Stream) -> Option<String> {
    if s.at_end() && expected.starts_with('`') && expected != "`;`" {
        return Some(format!("add {expected}"));
    }
    if expected == "`=`" && s.is_punct(':') {
        return Some("write `=` here: `let y = op(x);`, `name = value` in a call".to_owned());
    }
    None
}
