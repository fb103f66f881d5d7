//! Token helpers: literals, nested array types and values, identifiers.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::quote;

use super::Error;

/// An unsuffixed `usize` literal.
pub(super) fn usize_lit(v: usize) -> Literal {
    Literal::usize_unsuffixed(v)
}

/// An unsuffixed `i32` literal (negative values are one literal token, as rustc accepts).
pub(super) fn i32_lit(v: i32) -> Literal {
    Literal::i32_unsuffixed(v)
}

/// An `f32` literal with its suffix, printed as the shortest decimal that reads back to the same
/// value. Non-finite values have no literal.
pub(super) fn f32_lit(v: f32, what: &str) -> Result<Literal, Error> {
    if v.is_finite() {
        Ok(Literal::f32_suffixed(v))
    } else {
        Err(Error::Constant {
            what: what.to_owned(),
            reason: format!("{v} has no Rust literal"),
        })
    }
}

/// `[usize; n]` values: `[a, b, c]`.
pub(super) fn usize_list(values: &[usize]) -> TokenStream {
    let v = values.iter().copied().map(usize_lit);
    quote!([#(#v),*])
}

/// `[i32; n]` values.
pub(super) fn i32_list(values: &[i32]) -> TokenStream {
    let v = values.iter().copied().map(i32_lit);
    quote!([#(#v),*])
}

/// The nested array type of `dims` (outermost first) over `elem`: `[[i8; 3]; 2]`. Rank 0 is
/// `[elem; 1]`.
pub(super) fn array_type(elem: &TokenStream, dims: &[usize]) -> TokenStream {
    if dims.is_empty() {
        return quote!([#elem; 1]);
    }
    let mut ty = elem.clone();
    for &d in dims.iter().rev() {
        let d = usize_lit(d);
        ty = quote!([#ty; #d]);
    }
    ty
}

/// The nested array value of `values` laid out row-major with `dims` (outermost first). The
/// caller guarantees `values.len()` is the product of `dims`.
pub(super) fn nested<T: Copy>(
    values: &[T],
    dims: &[usize],
    lit: &impl Fn(T) -> Literal,
) -> TokenStream {
    match dims {
        [] | [_] => {
            let v = values.iter().map(|&x| lit(x));
            quote!([#(#v),*])
        }
        [_, inner @ ..] => {
            let step = inner.iter().product::<usize>().max(1);
            let rows = values.chunks(step).map(|c| nested(c, inner, lit));
            quote!([#(#rows),*])
        }
    }
}

/// Checks that `values` has as many elements as `dims` describes.
pub(super) fn check_len(what: &str, values: usize, dims: &[usize]) -> Result<(), Error> {
    let want = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    if want == Some(values) {
        Ok(())
    } else {
        Err(Error::Constant {
            what: what.to_owned(),
            reason: format!("{values} values for shape {dims:?}"),
        })
    }
}

/// The SCREAMING_SNAKE form of `name` (any character outside `[A-Za-z0-9]` becomes `_`), never
/// empty and never starting with a digit.
pub(super) fn upper_snake(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
        out.insert(1, '_');
    }
    out
}

/// An identifier for generated code (call-site span).
pub(super) fn ident(name: &str) -> Ident {
    Ident::new(name, Span::call_site())
}

/// Checks that `name` can be a Rust type name (an identifier that is not a keyword) and that it
/// clashes with nothing the generated module defines or uses ([`crate::check::names::reserved`]),
/// and returns it as an [`Ident`].
pub(super) fn type_ident(name: &str) -> Result<Ident, Error> {
    let bad = |reason: &'static str| Error::Name {
        name: name.to_owned(),
        reason,
    };
    let mut chars = name.chars();
    let start_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !start_ok || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') || name == "_" {
        return Err(bad("a Rust type name is [A-Za-z_][A-Za-z0-9_]*"));
    }
    if syn::parse_str::<Ident>(name).is_err() || name == "Self" {
        return Err(bad("it is a Rust keyword"));
    }
    if let Some(reason) = crate::check::names::reserved(name) {
        return Err(bad(reason));
    }
    Ok(ident(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_arrays_and_types() {
        let ty = array_type(&quote!(i8), &[2, 3]);
        assert_eq!(ty.to_string(), "[[i8 ; 3] ; 2]");
        let v = nested(&[1i8, 2, 3, -4, 5, 6], &[2, 3], &|x| {
            Literal::i8_unsuffixed(x)
        });
        assert_eq!(v.to_string(), "[[1 , 2 , 3] , [- 4 , 5 , 6]]");
        assert_eq!(array_type(&quote!(f32), &[]).to_string(), "[f32 ; 1]");
    }

    #[test]
    fn names() {
        assert_eq!(upper_snake("conv2d_5.flat"), "CONV2D_5_FLAT");
        assert_eq!(upper_snake("1x"), "T_1X");
        assert_eq!(upper_snake(""), "T_");
        assert!(type_ident("DsCnnKws").is_ok());
        assert!(type_ident("fn").is_err());
        assert!(type_ident("9a").is_err());
        assert!(type_ident("a-b").is_err());
        for name in ["Input", "Output1", "Arena", "Result", "x", "ARENA_BYTES"] {
            assert!(type_ident(name).is_err(), "{name}");
        }
        assert!(f32_lit(f32::NAN, "x").is_err());
        assert_eq!(
            f32_lit(0.1, "x").map(|l| l.to_string()).ok(),
            Some("0.1f32".into())
        );
    }
}
