//! The macros' own syntax around the network: attributes, visibility and `key = value` options.

use proc_macro2::TokenStream;
use syn::ext::IdentExt as _;
use syn::parse::{ParseStream, Parser as _};
use syn::{Attribute, Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Path, Token, Visibility};

/// Code-generation options, from attributes (`network! { ... }`) or `key = value` pairs.
#[derive(Default)]
pub(crate) struct Options {
    /// `target = "generic"`.
    pub target: Option<LitStr>,
    /// `crate = path`: where generated code finds nn-kernels' `__private` module's contents.
    pub krate: Option<Path>,
    /// `name = Name` (tflite form only): the generated type's name.
    pub name: Option<Ident>,
    /// Doc comments written before the network, put on the generated module.
    pub docs: Vec<Attribute>,
}

/// `network! { #[attr]* vis network Name { ... } }` split into its parts.
pub(crate) struct Inline {
    pub options: Options,
    pub vis: Visibility,
    /// `network Name { ... }`, for `nn_dsl::front::tokens::parse2`.
    pub body: TokenStream,
}

const ATTRIBUTES: &str = "`#[target = \"generic\"]` and `#[crate = path::to::nn_kernels]`";

fn attr_options(attrs: Vec<Attribute>, errors: &mut Vec<syn::Error>) -> Options {
    let mut options = Options::default();
    for attr in attrs {
        let key = attr
            .path()
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        let value = match &attr.meta {
            syn::Meta::NameValue(nv) => Some(&nv.value),
            _ => None,
        };
        match (key.as_str(), value) {
            ("doc", Some(_)) => options.docs.push(attr),
            (
                "target",
                Some(Expr::Lit(ExprLit {
                    lit: Lit::Str(s), ..
                })),
            ) => {
                set(&mut options.target, s.clone(), &attr, errors);
            }
            ("crate", Some(Expr::Path(ExprPath { path, .. }))) => {
                set(&mut options.krate, path.clone(), &attr, errors);
            }
            ("target", _) => errors.push(syn::Error::new_spanned(
                &attr,
                "expected `#[target = \"name\"]` with the target name in quotes",
            )),
            ("crate", _) => errors.push(syn::Error::new_spanned(
                &attr,
                "expected `#[crate = path]`, e.g. `#[crate = ::nn_kernels]`",
            )),
            _ => errors.push(syn::Error::new_spanned(
                attr.path(),
                format!("unknown attribute of `network!`\n= note: the attributes are {ATTRIBUTES}"),
            )),
        }
    }
    options
}

fn set<T>(slot: &mut Option<T>, value: T, at: &dyn quote::ToTokens, errors: &mut Vec<syn::Error>) {
    if slot.is_some() {
        errors.push(syn::Error::new_spanned(at, "this option is given twice"));
    } else {
        *slot = Some(value);
    }
}

/// Reads `#[attr]* vis` and leaves the rest as the body. Errors in the attributes are returned
/// together with what could be read.
pub(crate) fn inline(input: TokenStream) -> (Inline, Vec<syn::Error>) {
    let mut errors = Vec::new();
    let parsed = (|stream: ParseStream| {
        let attrs = stream.call(Attribute::parse_outer)?;
        let vis: Visibility = stream.parse()?;
        let body: TokenStream = stream.parse()?;
        Ok((attrs, vis, body))
    })
    .parse2(input.clone());
    match parsed {
        Ok((attrs, vis, body)) => {
            let options = attr_options(attrs, &mut errors);
            (Inline { options, vis, body }, errors)
        }
        Err(e) => {
            errors.push(e);
            let inline = Inline {
                options: Options::default(),
                vis: Visibility::Inherited,
                body: input,
            };
            (inline, errors)
        }
    }
}

/// `key = value (, key = value)* ,?` where `first` names the key that must come first and carry
/// the path literal (`tflite`), or `None` when the input starts with the path literal itself
/// (`include_nnd!("net.nnd", ...)`).
pub(crate) fn key_values(
    input: TokenStream,
    first: Option<&str>,
) -> syn::Result<(LitStr, Options)> {
    (|stream: ParseStream| {
        let path: LitStr = match first {
            Some(key) => {
                let k = stream.call(Ident::parse_any)?;
                if k != key {
                    return Err(syn::Error::new(k.span(), format!("expected `{key}`")));
                }
                stream.parse::<Token![=]>()?;
                stream.parse()?
            }
            None => stream.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    "expected the path of a `.nnd` file in quotes: `include_nnd!(\"net.nnd\")`",
                )
            })?,
        };
        let mut options = Options::default();
        let mut errors: Vec<syn::Error> = Vec::new();
        while !stream.is_empty() {
            stream.parse::<Token![,]>()?;
            if stream.is_empty() {
                break;
            }
            let key = stream.call(Ident::parse_any)?;
            stream.parse::<Token![=]>()?;
            match key.to_string().as_str() {
                "target" => {
                    let v: LitStr = stream.parse()?;
                    set(&mut options.target, v, &key, &mut errors);
                }
                "crate" => {
                    let v = stream.call(Path::parse_mod_style)?;
                    set(&mut options.krate, v, &key, &mut errors);
                }
                "name" if first.is_some() => {
                    let v: Ident = stream.parse()?;
                    set(&mut options.name, v, &key, &mut errors);
                }
                _ => {
                    let valid = if first.is_some() {
                        "`name`, `target` and `crate`"
                    } else {
                        "`target` and `crate`"
                    };
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown option `{key}`\n= note: the options are {valid}"),
                    ));
                }
            }
        }
        match errors.into_iter().reduce(|mut a, b| {
            a.combine(b);
            a
        }) {
            Some(e) => Err(e),
            None => Ok((path, options)),
        }
    })
    .parse2(input)
}
