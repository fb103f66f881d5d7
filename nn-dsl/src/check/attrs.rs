//! Attribute parsing: from the AST's `name = value` list to typed values, against an [`OpSpec`].
//!
//! Unknown, duplicate, missing and ill-typed attributes are reported here; the shape inference
//! only sees values that passed, and `None` for the others (already reported).

use crate::front::ast::{Attr, Value};
use crate::ir::{Activation, DType};
use crate::span::Span;

use super::error::{CheckError, TooLargeWhat, MAX_ELEMENTS};
use super::ops::{did_you_mean, AttrSpec, Kind, OpSpec};

/// Padding as written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PadAttr {
    Same,
    Valid,
    /// `[[top, bottom], [left, right]]`.
    Explicit([[usize; 2]; 2]),
}

/// A parsed attribute value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum AttrValue {
    Size(usize),
    Pair([usize; 2]),
    Padding(PadAttr),
    Activation(Activation),
    Bool(bool),
    /// An axis as written (not yet normalised).
    Int(i64),
    /// Several integers with their spans (axes, reshape target).
    Ints(Vec<(i64, Span)>),
    /// `[before, after]` pairs.
    Pairs(Vec<[usize; 2]>),
    Float(f64),
    /// An element type (`state = i16`).
    DType(DType),
}

/// The state of one attribute after parsing.
#[derive(Clone, Debug)]
enum Slot {
    Absent,
    Invalid,
    Valid(AttrValue, Span),
}

/// The attributes of one call.
#[derive(Debug)]
pub(crate) struct Attrs {
    spec: &'static OpSpec,
    slots: Vec<Slot>,
    call: Span,
}

impl Attrs {
    /// Parses `attrs` against `spec`, pushing every problem into `errors`.
    pub(crate) fn parse(
        spec: &'static OpSpec,
        attrs: &[Attr],
        call: Span,
        errors: &mut Vec<CheckError>,
    ) -> Attrs {
        let mut slots = vec![Slot::Absent; spec.attrs.len()];
        let mut first_seen: Vec<Option<Span>> = vec![None; spec.attrs.len()];
        // Attributes that an unknown name probably meant: not reported again as missing.
        let mut meant: Vec<&str> = Vec::new();
        for attr in attrs {
            let Some(index) = spec.attrs.iter().position(|a| a.name == attr.name.node) else {
                meant.extend(did_you_mean(
                    &attr.name.node,
                    spec.attrs.iter().map(|a| a.name),
                ));
                errors.push(CheckError::UnknownAttr {
                    op: spec.name,
                    name: attr.name.node.clone(),
                    span: attr.name.span,
                });
                continue;
            };
            if let Some(first) = first_seen[index] {
                errors.push(CheckError::DuplicateAttr {
                    name: attr.name.node.clone(),
                    span: attr.name.span,
                    first,
                });
                continue;
            }
            first_seen[index] = Some(attr.name.span);
            let attr_spec = &spec.attrs[index];
            slots[index] = match parse_value(attr_spec, &attr.value, errors) {
                Some(v) => Slot::Valid(v, attr.value.span()),
                None => Slot::Invalid,
            };
        }
        for (i, a) in spec.attrs.iter().enumerate() {
            if a.required && matches!(slots[i], Slot::Absent) && !meant.contains(&a.name) {
                errors.push(CheckError::MissingAttr {
                    op: spec.name,
                    name: a.name,
                    call,
                });
            }
        }
        Attrs { spec, slots, call }
    }

    fn slot(&self, name: &str) -> Option<&Slot> {
        let i = self.spec.attrs.iter().position(|a| a.name == name)?;
        self.slots.get(i)
    }

    /// The value (with its span) if given and valid; `Err(())` if given but invalid or
    /// required-and-absent; `Ok(None)` if absent.
    fn lookup(&self, name: &str) -> Result<Option<(&AttrValue, Span)>, ()> {
        match self.slot(name) {
            Some(Slot::Valid(v, s)) => Ok(Some((v, *s))),
            Some(Slot::Absent) => Ok(None),
            Some(Slot::Invalid) | None => Err(()),
        }
    }

    /// The span of the whole call.
    pub(crate) fn call_span(&self) -> Span {
        self.call
    }

    /// The span of an attribute's value, or the call's span when it was not given.
    pub(crate) fn span_of(&self, name: &str) -> Span {
        match self.slot(name) {
            Some(Slot::Valid(_, s)) => *s,
            _ => self.call,
        }
    }

    pub(crate) fn size(&self, name: &str, default: Option<usize>) -> Option<usize> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Size(v), _))) => Some(*v),
            Ok(None) => default,
            _ => None,
        }
    }

    pub(crate) fn pair(&self, name: &str, default: Option<[usize; 2]>) -> Option<[usize; 2]> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Pair(v), _))) => Some(*v),
            Ok(None) => default,
            _ => None,
        }
    }

    /// A pair if given and valid, `Some(None)` if absent, `None` if invalid.
    pub(crate) fn pair_opt(&self, name: &str) -> Option<Option<[usize; 2]>> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Pair(v), _))) => Some(Some(*v)),
            Ok(None) => Some(None),
            _ => None,
        }
    }

    pub(crate) fn padding(&self, default: PadAttr) -> Option<PadAttr> {
        match self.lookup("padding") {
            Ok(Some((AttrValue::Padding(p), _))) => Some(*p),
            Ok(None) => Some(default),
            _ => None,
        }
    }

    pub(crate) fn activation(&self) -> Option<Activation> {
        match self.lookup("activation") {
            Ok(Some((AttrValue::Activation(a), _))) => Some(*a),
            Ok(None) => Some(Activation::None),
            _ => None,
        }
    }

    pub(crate) fn dtype(&self, name: &str, default: DType) -> Option<DType> {
        match self.lookup(name) {
            Ok(Some((AttrValue::DType(d), _))) => Some(*d),
            Ok(None) => Some(default),
            _ => None,
        }
    }

    pub(crate) fn flag(&self, name: &str, default: bool) -> Option<bool> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Bool(b), _))) => Some(*b),
            Ok(None) => Some(default),
            _ => None,
        }
    }

    pub(crate) fn int(&self, name: &str, default: Option<i64>) -> Option<(i64, Span)> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Int(v), s))) => Some((*v, s)),
            Ok(None) => default.map(|d| (d, self.call)),
            _ => None,
        }
    }

    pub(crate) fn ints(&self, name: &str) -> Option<Vec<(i64, Span)>> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Ints(v), _))) => Some(v.clone()),
            Ok(Some((AttrValue::Int(v), s))) => Some(vec![(*v, s)]),
            _ => None,
        }
    }

    /// An integer if given and valid, `Some(None)` if absent, `None` if invalid.
    pub(crate) fn int_opt(&self, name: &str) -> Option<Option<(i64, Span)>> {
        match self.lookup(name) {
            Ok(None) => Some(None),
            Ok(Some((AttrValue::Int(v), s))) => Some(Some((*v, s))),
            _ => None,
        }
    }

    /// A list of integers if given and valid, `Some(None)` if absent, `None` if invalid.
    pub(crate) fn ints_opt(&self, name: &str) -> Option<Option<Vec<(i64, Span)>>> {
        match self.lookup(name) {
            Ok(None) => Some(None),
            Ok(Some((AttrValue::Ints(v), _))) => Some(Some(v.clone())),
            Ok(Some((AttrValue::Int(v), s))) => Some(Some(vec![(*v, s)])),
            _ => None,
        }
    }

    pub(crate) fn pairs(&self, name: &str) -> Option<Vec<[usize; 2]>> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Pairs(v), _))) => Some(v.clone()),
            _ => None,
        }
    }

    pub(crate) fn float(&self, name: &str, default: f64) -> Option<f64> {
        match self.lookup(name) {
            Ok(Some((AttrValue::Float(v), _))) => Some(*v),
            Ok(None) => Some(default),
            _ => None,
        }
    }
}

/// How a value is described in "found ..." messages.
pub(crate) fn describe(value: &Value) -> String {
    match value {
        Value::Int(v) => format!("`{}`", v.node),
        Value::Float(v) => format!("`{}`", v.node),
        Value::Word(w) => format!("`{}`", w.node),
        Value::Str(s) => format!("the string {:?}", s.node),
        Value::List(l) => match l.node.len() {
            0 => "an empty list".to_string(),
            1 => "a list of 1 value".to_string(),
            n => format!("a list of {n} values"),
        },
    }
}

fn bad<T>(spec: &AttrSpec, value: &Value, errors: &mut Vec<CheckError>) -> Option<T> {
    errors.push(CheckError::BadAttr {
        name: spec.name,
        expected: spec.kind.expects(),
        found: describe(value),
        span: value.span(),
    });
    None
}

/// A positive integer <= `i32::MAX`; zero/negative reports [`CheckError::ZeroSize`] or
/// [`CheckError::ZeroStep`] depending on `kind`.
fn positive(
    spec: &AttrSpec,
    value: &Value,
    step: bool,
    errors: &mut Vec<CheckError>,
) -> Option<usize> {
    let Value::Int(v) = value else {
        return bad(spec, value, errors);
    };
    if v.node < 1 {
        errors.push(if step {
            CheckError::ZeroStep {
                name: spec.name,
                value: v.node,
                span: v.span,
            }
        } else {
            CheckError::ZeroSize {
                name: spec.name,
                value: v.node,
                span: v.span,
            }
        });
        return None;
    }
    bounded(spec.name, v.node, v.span, errors)
}

/// A non-negative integer <= `i32::MAX` (padding amounts).
fn non_negative(spec: &AttrSpec, value: &Value, errors: &mut Vec<CheckError>) -> Option<usize> {
    match value {
        Value::Int(v) if v.node >= 0 => bounded(spec.name, v.node, v.span, errors),
        Value::Int(v) => {
            errors.push(CheckError::BadAttr {
                name: spec.name,
                expected: "non-negative padding amounts",
                found: format!("`{}`", v.node),
                span: v.span,
            });
            None
        }
        _ => bad(spec, value, errors),
    }
}

fn bounded(name: &str, v: i64, span: Span, errors: &mut Vec<CheckError>) -> Option<usize> {
    match usize::try_from(v) {
        Ok(u) if u <= MAX_ELEMENTS => Some(u),
        _ => {
            errors.push(CheckError::TooLarge {
                what: TooLargeWhat::Value {
                    what: format!("`{name}`"),
                    value: v,
                },
                span,
            });
            None
        }
    }
}

/// An integer or a list of exactly two integers, each positive.
fn pair(
    spec: &AttrSpec,
    value: &Value,
    step: bool,
    errors: &mut Vec<CheckError>,
) -> Option<[usize; 2]> {
    match value {
        Value::Int(_) => positive(spec, value, step, errors).map(|v| [v, v]),
        Value::List(l)
            if l.node.len() == 2 && l.node.iter().all(|v| matches!(v, Value::Int(_))) =>
        {
            let a = positive(spec, &l.node[0], step, errors);
            let b = positive(spec, &l.node[1], step, errors);
            Some([a?, b?])
        }
        _ => bad(spec, value, errors),
    }
}

fn word(value: &Value) -> Option<&str> {
    match value {
        Value::Word(w) => Some(w.node.as_str()),
        _ => None,
    }
}

fn parse_value(spec: &AttrSpec, value: &Value, errors: &mut Vec<CheckError>) -> Option<AttrValue> {
    match spec.kind {
        Kind::Size => positive(spec, value, false, errors).map(AttrValue::Size),
        Kind::SizePair => pair(spec, value, false, errors).map(AttrValue::Pair),
        Kind::StepPair => pair(spec, value, true, errors).map(AttrValue::Pair),
        Kind::Step => positive(spec, value, true, errors).map(AttrValue::Size),
        Kind::Padding1d => match word(value) {
            Some("same") => Some(AttrValue::Padding(PadAttr::Same)),
            Some("valid") => Some(AttrValue::Padding(PadAttr::Valid)),
            None if matches!(value, Value::List(l) if l.node.len() == 2
                && l.node.iter().all(|v| matches!(v, Value::Int(_)))) =>
            {
                let Value::List(l) = value else {
                    return bad(spec, value, errors);
                };
                let left = non_negative(spec, &l.node[0], errors);
                let right = non_negative(spec, &l.node[1], errors);
                // Stored as the 2-D form the convolution of `[1, L, C]` reads.
                Some(AttrValue::Padding(PadAttr::Explicit([
                    [0, 0],
                    [left?, right?],
                ])))
            }
            _ => bad(spec, value, errors),
        },
        Kind::Padding | Kind::PoolPadding => match word(value) {
            Some("same") => Some(AttrValue::Padding(PadAttr::Same)),
            Some("valid") => Some(AttrValue::Padding(PadAttr::Valid)),
            None if spec.kind == Kind::Padding && matches!(value, Value::List(_)) => {
                match pair_list(spec, value, errors)?.as_slice() {
                    [h, w] => Some(AttrValue::Padding(PadAttr::Explicit([*h, *w]))),
                    _ => bad(spec, value, errors),
                }
            }
            _ => bad(spec, value, errors),
        },
        Kind::Activation => match word(value) {
            Some("none") => Some(AttrValue::Activation(Activation::None)),
            Some("relu") => Some(AttrValue::Activation(Activation::Relu)),
            Some("relu6") => Some(AttrValue::Activation(Activation::Relu6)),
            _ => bad(spec, value, errors),
        },
        Kind::StateType => match word(value) {
            Some("i16") => Some(AttrValue::DType(DType::I16)),
            Some("i8") => Some(AttrValue::DType(DType::I8)),
            _ => bad(spec, value, errors),
        },
        Kind::Bool => match word(value) {
            Some("true") => Some(AttrValue::Bool(true)),
            Some("false") => Some(AttrValue::Bool(false)),
            _ => bad(spec, value, errors),
        },
        Kind::Axis => match value {
            Value::Int(v) => Some(AttrValue::Int(v.node)),
            _ => bad(spec, value, errors),
        },
        Kind::Frac => match value {
            Value::Int(v) if (-31..=31).contains(&v.node) => Some(AttrValue::Int(v.node)),
            _ => bad(spec, value, errors),
        },
        Kind::Axes | Kind::Shape => match value {
            Value::Int(v) if spec.kind == Kind::Axes => Some(AttrValue::Int(v.node)),
            Value::List(l)
                if !l.node.is_empty() && l.node.iter().all(|v| matches!(v, Value::Int(_))) =>
            {
                Some(AttrValue::Ints(
                    l.node
                        .iter()
                        .filter_map(|v| match v {
                            Value::Int(i) => Some((i.node, i.span)),
                            _ => None,
                        })
                        .collect(),
                ))
            }
            _ => bad(spec, value, errors),
        },
        Kind::Paddings => pair_list(spec, value, errors).map(AttrValue::Pairs),
        Kind::Slope => {
            let v = match value {
                Value::Float(f) => f.node,
                Value::Int(i) => i.node as f64,
                _ => return bad(spec, value, errors),
            };
            if v.is_finite() && v >= 0.0 && v <= f64::from(f32::MAX) {
                Some(AttrValue::Float(v))
            } else {
                bad(spec, value, errors)
            }
        }
        Kind::Beta => {
            let v = match value {
                Value::Float(f) => f.node,
                Value::Int(i) => i.node as f64,
                _ => return bad(spec, value, errors),
            };
            if v.is_finite() && v > 0.0 && v <= f64::from(f32::MAX) {
                Some(AttrValue::Float(v))
            } else {
                bad(spec, value, errors)
            }
        }
    }
}

/// `[[a, b], [c, d], ...]` of non-negative integers.
fn pair_list(
    spec: &AttrSpec,
    value: &Value,
    errors: &mut Vec<CheckError>,
) -> Option<Vec<[usize; 2]>> {
    let Value::List(outer) = value else {
        return bad(spec, value, errors);
    };
    let shaped = outer.node.iter().all(|p| {
        matches!(p, Value::List(inner) if inner.node.len() == 2
            && inner.node.iter().all(|v| matches!(v, Value::Int(_))))
    });
    if !shaped {
        return bad(spec, value, errors);
    }
    let mut out = Vec::with_capacity(outer.node.len());
    let mut ok = true;
    for p in &outer.node {
        if let Value::List(inner) = p {
            let a = non_negative(spec, &inner.node[0], errors);
            let b = non_negative(spec, &inner.node[1], errors);
            match (a, b) {
                (Some(a), Some(b)) => out.push([a, b]),
                _ => ok = false,
            }
        }
    }
    ok.then_some(out)
}
