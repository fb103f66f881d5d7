//! The pest parser and the builder that turns its parse tree into the [`ast`].
//!
//! The builder walks the pairs by rule kind and never assumes more than the grammar guarantees: a
//! pair it does not expect becomes [`ParseError::Internal`] rather than a panic. Errors that are
//! only visible once the text has parsed (integer overflow, a positional argument after a named
//! one, a second network) are collected, so that all of them are reported together.

use pest::iterators::Pair;
use pest::Parser as _;

use super::error::ParseError;
use super::lex;
use crate::front::ast::{Attr, Call, DType, Expr, Ident, Item, Network, Value};
use crate::span::{Span, Spanned};

/// The generated pest parser (`Rule` is the enum of grammar rules).
#[derive(pest_derive::Parser)]
#[grammar = "front/nnd/grammar.pest"]
struct NndParser;

/// Parses one `.nnd` source into its network, or every syntax error found.
pub(crate) fn parse(source: &str) -> Result<Network, Vec<ParseError>> {
    if u32::try_from(source.len()).is_err() {
        return Err(vec![ParseError::TooLarge { len: source.len() }]);
    }
    let lexical = lex::check(source);
    if !lexical.is_empty() {
        return Err(lexical);
    }
    let mut pairs =
        NndParser::parse(Rule::file, source).map_err(|e| vec![ParseError::from_pest(e, source)])?;
    let Some(file) = pairs.next() else {
        return Err(vec![ParseError::Internal {
            span: Span::new(0, 0),
        }]);
    };
    let mut builder = Builder { errors: Vec::new() };
    let network = builder.file(file);
    match network {
        Some(n) if builder.errors.is_empty() => Ok(n),
        _ => {
            if builder.errors.is_empty() {
                builder.errors.push(ParseError::Internal {
                    span: Span::new(0, source.len()),
                });
            }
            Err(builder.errors)
        }
    }
}

fn span_of(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(s.start(), s.end())
}

fn ident(pair: &Pair<'_, Rule>) -> Ident {
    Spanned::new(pair.as_str().to_owned(), span_of(pair))
}

struct Builder {
    errors: Vec<ParseError>,
}

impl Builder {
    /// Records an internal error for a parse tree the builder does not understand.
    fn internal<T>(&mut self, span: Span) -> Option<T> {
        self.errors.push(ParseError::Internal { span });
        None
    }

    fn file(&mut self, file: Pair<'_, Rule>) -> Option<Network> {
        let file_span = span_of(&file);
        let mut first: Option<(Network, Span)> = None;
        for pair in file.into_inner() {
            if pair.as_rule() != Rule::network {
                continue;
            }
            let Some(network) = self.network(pair) else {
                continue;
            };
            // `network Name`: the header names the block without its whole body.
            let header = Span {
                start: network.span.start,
                end: network.name.span.end,
            };
            match &first {
                None => first = Some((network, header)),
                Some((_, first_header)) => self.errors.push(ParseError::SeveralNetworks {
                    name: network.name.node,
                    span: header,
                    first: *first_header,
                }),
            }
        }
        match first {
            Some((network, _)) => Some(network),
            None => self.internal(file_span),
        }
    }

    fn network(&mut self, pair: Pair<'_, Rule>) -> Option<Network> {
        let span = span_of(&pair);
        let mut name = None;
        let mut items = Vec::new();
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(ident(&child)),
                Rule::statement => {
                    if let Some(item) = self.statement(child) {
                        items.push(item);
                    }
                }
                _ => {}
            }
        }
        match name {
            Some(name) => Some(Network { name, items, span }),
            None => self.internal(span),
        }
    }

    fn statement(&mut self, pair: Pair<'_, Rule>) -> Option<Item> {
        let outer = span_of(&pair);
        let Some(stmt) = pair.into_inner().next() else {
            return self.internal(outer);
        };
        let span = span_of(&stmt);
        match stmt.as_rule() {
            Rule::input_stmt => self.input(stmt, span),
            Rule::weights_stmt => {
                let path = stmt.into_inner().find(|p| p.as_rule() == Rule::string);
                match path {
                    Some(p) => Some(Item::Weights {
                        path: string(&p),
                        span,
                    }),
                    None => self.internal(span),
                }
            }
            Rule::let_stmt => {
                let mut name = None;
                let mut value = None;
                for child in stmt.into_inner() {
                    match child.as_rule() {
                        Rule::ident => name = Some(ident(&child)),
                        Rule::expr => value = self.expr(child),
                        _ => {}
                    }
                }
                match (name, value) {
                    (Some(name), Some(value)) => Some(Item::Let { name, value, span }),
                    // An error inside the value is already recorded.
                    _ => None,
                }
            }
            Rule::output_stmt => {
                let mut name = None;
                let mut value = None;
                for child in stmt.into_inner() {
                    match child.as_rule() {
                        Rule::ident => name = Some(ident(&child)),
                        Rule::expr => value = self.expr(child),
                        _ => {}
                    }
                }
                value.map(|value| Item::Output { name, value, span })
            }
            _ => self.internal(span),
        }
    }

    fn input(&mut self, stmt: Pair<'_, Rule>, span: Span) -> Option<Item> {
        let mut name = None;
        let mut dtype = None;
        let mut dims = Vec::new();
        let mut dims_ok = true;
        for child in stmt.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(ident(&child)),
                Rule::dtype => {
                    let ty = match child.as_str() {
                        "i8" => DType::I8,
                        "f32" => DType::F32,
                        _ => return self.internal(span_of(&child)),
                    };
                    dtype = Some(Spanned::new(ty, span_of(&child)));
                }
                Rule::qtype => {
                    let at = span_of(&child);
                    let q15 = child
                        .clone()
                        .into_inner()
                        .any(|p| p.as_rule() == Rule::kw_q15);
                    let Some(frac) = child.into_inner().find(|p| p.as_rule() == Rule::int) else {
                        return self.internal(at);
                    };
                    let frac = self.int(&frac)?.node;
                    let ty = if q15 {
                        DType::Q15 { frac }
                    } else {
                        DType::Q7 { frac }
                    };
                    dtype = Some(Spanned::new(ty, at));
                }
                Rule::int => match self.int(&child) {
                    Some(v) => dims.push(v),
                    None => dims_ok = false,
                },
                _ => {}
            }
        }
        match (name, dtype, dims_ok) {
            (Some(name), Some(dtype), true) => Some(Item::Input {
                name,
                dtype,
                dims,
                span,
            }),
            (_, _, false) => None,
            _ => self.internal(span),
        }
    }

    fn int(&mut self, pair: &Pair<'_, Rule>) -> Option<Spanned<i64>> {
        let span = span_of(pair);
        match pair.as_str().parse::<i64>() {
            Ok(v) => Some(Spanned::new(v, span)),
            Err(_) => {
                self.errors.push(ParseError::IntOverflow {
                    text: pair.as_str().to_owned(),
                    span,
                });
                None
            }
        }
    }

    fn expr(&mut self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = span_of(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return self.internal(span);
        };
        match inner.as_rule() {
            Rule::ident => Some(Expr::Ref(ident(&inner))),
            Rule::call => self.call(inner).map(Expr::Call),
            _ => self.internal(span),
        }
    }

    fn call(&mut self, pair: Pair<'_, Rule>) -> Option<Call> {
        let span = span_of(&pair);
        let mut op: Option<Ident> = None;
        let mut inputs = Vec::new();
        let mut attrs = Vec::new();
        let mut first_named: Option<Span> = None;
        let mut ok = true;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => op = Some(ident(&child)),
                Rule::expr => {
                    let arg_span = span_of(&child);
                    if let Some(named) = first_named {
                        self.errors.push(ParseError::PositionalAfterNamed {
                            op: op.as_ref().map(|o| o.node.clone()).unwrap_or_default(),
                            positional: arg_span,
                            first_named: named,
                        });
                        ok = false;
                    }
                    match self.expr(child) {
                        Some(e) => inputs.push(e),
                        None => ok = false,
                    }
                }
                Rule::attr => {
                    let attr_span = span_of(&child);
                    first_named.get_or_insert(attr_span);
                    match self.attr(child) {
                        Some(a) => attrs.push(a),
                        None => ok = false,
                    }
                }
                _ => {}
            }
        }
        match op {
            Some(op) if ok => Some(Call {
                op,
                inputs,
                attrs,
                span,
            }),
            Some(_) => None,
            None => self.internal(span),
        }
    }

    fn attr(&mut self, pair: Pair<'_, Rule>) -> Option<Attr> {
        let span = span_of(&pair);
        let mut name = None;
        let mut value = None;
        let mut value_failed = false;
        for child in pair.into_inner() {
            match child.as_rule() {
                Rule::ident => name = Some(ident(&child)),
                Rule::value => {
                    value = self.value(child);
                    value_failed = value.is_none();
                }
                _ => {}
            }
        }
        match (name, value) {
            (Some(name), Some(value)) => Some(Attr { name, value, span }),
            _ if value_failed => None,
            _ => self.internal(span),
        }
    }

    fn value(&mut self, pair: Pair<'_, Rule>) -> Option<Value> {
        let span = span_of(&pair);
        let Some(inner) = pair.into_inner().next() else {
            return self.internal(span);
        };
        match inner.as_rule() {
            Rule::int => self.int(&inner).map(Value::Int),
            Rule::float => {
                let text = inner.as_str();
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => Some(Value::Float(Spanned::new(v, span))),
                    _ => {
                        self.errors.push(ParseError::FloatOverflow {
                            text: text.to_owned(),
                            span,
                        });
                        None
                    }
                }
            }
            Rule::string => Some(Value::Str(string(&inner))),
            Rule::word => Some(Value::Word(ident(&inner))),
            Rule::list => {
                let mut items = Vec::new();
                let mut ok = true;
                for child in inner.into_inner() {
                    if child.as_rule() == Rule::value {
                        match self.value(child) {
                            Some(v) => items.push(v),
                            None => ok = false,
                        }
                    }
                }
                ok.then(|| Value::List(Spanned::new(items, span)))
            }
            _ => self.internal(span),
        }
    }
}

/// A string literal's value (escapes resolved) with the span of the literal, quotes included.
fn string(pair: &Pair<'_, Rule>) -> Spanned<String> {
    let text = pair.as_str();
    let body = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let mut value = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            // The grammar admits only `\"` and `\\`: the escaped character is the value.
            if let Some(escaped) = chars.next() {
                value.push(escaped);
            }
        } else {
            value.push(c);
        }
    }
    Spanned::new(value, span_of(pair))
}
