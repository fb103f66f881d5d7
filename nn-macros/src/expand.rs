//! The macro drivers: options, front end, check, weights, code generation, and the error path.
//!
//! Every failure becomes a `syn::Error` at the tokens it is about; all of them are emitted
//! together with a fallback item (the network type, so that uses of it do not fail again), and
//! nothing here panics.

use std::path::{Path, PathBuf};

use nn_dsl::diag::render;
use nn_dsl::front::tokens::{self, SpanTable};
use nn_dsl::ir::Module;
use nn_dsl::weights::{bind, Weights};
use nn_dsl::{Diagnostic, Span as NndSpan};
use proc_macro2::{Span, TokenStream, TokenTree};
use quote::quote;
use syn::{Ident, Visibility};

use crate::options::{self, Options};

/// The test suite points this at the crate under test: trybuild compiles its cases in a
/// generated crate whose `CARGO_MANIFEST_DIR` is under `target/`.
const MANIFEST_DIR_OVERRIDE: &str = "NND_MANIFEST_DIR_OVERRIDE";

/// Errors collected so far, emitted together.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    fn extend(&mut self, es: impl IntoIterator<Item = syn::Error>) {
        for e in es {
            self.push(e);
        }
    }

    fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    fn to_compile_error(&self) -> TokenStream {
        self.0
            .as_ref()
            .map(syn::Error::to_compile_error)
            .unwrap_or_default()
    }
}

/// What the generated item is called and who sees it.
struct Item {
    name: Option<Ident>,
    vis: Visibility,
}

impl Item {
    /// The errors and, when the name is known, the fallback item: the network type alone.
    fn fail(&self, errors: &Errors) -> TokenStream {
        let errors = errors.to_compile_error();
        match &self.name {
            Some(name) => {
                let vis = &self.vis;
                let m = crate::generate::module_ident(&name.to_string(), name.span());
                quote! {
                    #errors
                    #[allow(dead_code)]
                    #vis mod #m {
                        pub struct #name;
                    }
                    #[allow(unused_imports)]
                    #vis use #m::#name;
                }
            }
            None => errors,
        }
    }
}

/// `network!`: inline `.nnd` tokens, or `tflite = "..."`.
pub(crate) fn network(input: TokenStream) -> TokenStream {
    let mut it = input.clone().into_iter();
    let first = it.next();
    let second = it.next();
    if matches!(&first, Some(TokenTree::Ident(i)) if i == "tflite")
        && matches!(&second, Some(TokenTree::Punct(p)) if p.as_char() == '=')
    {
        return tflite(input);
    }
    inline(input)
}

fn inline(input: TokenStream) -> TokenStream {
    let (inline, option_errors) = options::inline(input);
    let mut errors = Errors::default();
    errors.extend(option_errors);
    let parsed = tokens::parse2(inline.body);
    let table = parsed.table;
    let mut item = Item {
        name: parsed
            .network
            .as_ref()
            .and_then(|n| ident(&n.name.node, &table, n.name.span)),
        vis: inline.vis,
    };
    if let Some(e) = tokens::to_syn_errors(&parsed.errors, &table, Span::call_site()) {
        errors.push(e);
    }
    let Some(network) = parsed.network else {
        return item.fail(&errors);
    };
    if !parsed.errors.is_empty() {
        return item.fail(&errors);
    }
    let name_span = table
        .range(network.name.span)
        .map_or_else(Span::call_site, |r| r.0);
    let mut module = match nn_dsl::check::check(&network) {
        Ok((module, _warnings)) => module,
        Err(diags) => {
            push_diags(&mut errors, &diags, &table);
            return item.fail(&errors);
        }
    };
    let Some(weights_path) = module.weights.clone() else {
        errors.push(syn::Error::new(
            name_span,
            format!(
                "network `{}` has no `weights \"...\";` statement, so its parameters are unknown\n= help: add `weights \"{}.safetensors\";` (a path relative to CARGO_MANIFEST_DIR; `nndc import` writes such files)",
                module.name,
                snake(&module.name)
            ),
        ));
        return item.fail(&errors);
    };
    let lit_span = table.range(weights_path.span).map_or(name_span, |r| r.0);
    let abs = match resolve(&weights_path.node, lit_span) {
        Ok(p) => p,
        Err(e) => {
            errors.push(e);
            return item.fail(&errors);
        }
    };
    let weights = match read_weights(&abs, &weights_path.node, lit_span) {
        Ok(w) => w,
        Err(e) => {
            errors.push(e);
            return item.fail(&errors);
        }
    };
    if let Err(diags) = bind(&mut module, &weights, weights_path.span) {
        push_diags(&mut errors, &diags, &table);
        return item.fail(&errors);
    }
    // The type is named by the network's own name token, so rustc's errors about the type (and
    // "go to definition") land on it.
    item.name = Some(Ident::new(&module.name, name_span));
    finish(
        &item,
        &module,
        &weights,
        &inline.options,
        &[abs],
        name_span,
        errors,
    )
}

/// `network!(tflite = "model.tflite", ...)`
fn tflite(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let (lit, options) = match options::key_values(input, Some("tflite")) {
        Ok(v) => v,
        Err(e) => return e.to_compile_error(),
    };
    let mut item = Item {
        name: options.name.clone(),
        vis: syn::parse_quote!(pub),
    };
    // `name = ...` names the generated type: one the module cannot hold is refused at the name,
    // and no fallback item is emitted (it would shadow the caller's `Result`, say).
    if let Some(name) = &options.name {
        let text = name.to_string();
        if let Some(reason) = nn_dsl::check::names::reserved(&text) {
            errors.push(syn::Error::new(
                name.span(),
                format!(
                    "`{text}` cannot name a network: {reason}\n= help: rename it, e.g. `name = {}`",
                    nn_dsl::check::names::suggest(&text)
                ),
            ));
            item.name = None;
            return item.fail(&errors);
        }
    }
    let abs = match resolve(&lit.value(), lit.span()) {
        Ok(p) => p,
        Err(e) => {
            errors.push(e);
            return item.fail(&errors);
        }
    };
    let shown = lit.value();
    if item.name.is_none() {
        item.name = Some(Ident::new(
            &nn_dsl::front::load::network_name(Path::new(&shown)),
            lit.span(),
        ));
    }
    let bytes = match nn_dsl::files::read(&abs, nn_dsl::files::FileKind::Tflite) {
        Ok(b) => b,
        Err(e) => {
            errors.push(io_error(&shown, &e, lit.span()));
            return item.fail(&errors);
        }
    };
    let model = match nn_dsl::front::tflite::read(&bytes) {
        Ok(m) => m,
        Err(e) => {
            errors.push(syn::Error::new(lit.span(), format!("`{shown}`: {e}")));
            return item.fail(&errors);
        }
    };
    let (mut module, weights) = match nn_dsl::front::tflite::import(&model) {
        Ok(v) => v,
        Err(e) => {
            errors.push(syn::Error::new(lit.span(), format!("`{shown}`: {e}")));
            return item.fail(&errors);
        }
    };
    if let Some(name) = &item.name {
        module.name = name.to_string();
    }
    finish(
        &item,
        &module,
        &weights,
        &options,
        &[abs],
        lit.span(),
        errors,
    )
}

/// `include_nnd!("net.nnd", ...)`
pub(crate) fn include_nnd(input: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let (lit, options) = match options::key_values(input, None) {
        Ok(v) => v,
        Err(e) => return e.to_compile_error(),
    };
    let shown = lit.value();
    let mut item = Item {
        name: None,
        vis: syn::parse_quote!(pub),
    };
    // Only `.nnd` files are read: a parse error shows the file's text, which must not be the
    // first line of `/etc/passwd` or of any other file named by mistake (or on purpose).
    let is_nnd = Path::new(&shown)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("nnd"));
    if !is_nnd {
        errors.push(syn::Error::new(
            lit.span(),
            format!(
                "`{shown}` is not a .nnd file: include_nnd! reads only files whose name ends in \
                 `.nnd`\n= help: for a TensorFlow Lite model use `network!(tflite = \"...\")`"
            ),
        ));
        return item.fail(&errors);
    }
    let abs = match resolve(&shown, lit.span()) {
        Ok(p) => p,
        Err(e) => {
            errors.push(e);
            return item.fail(&errors);
        }
    };
    let source = match nn_dsl::files::read(&abs, nn_dsl::files::FileKind::Nnd) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) => {
                errors.push(syn::Error::new(
                    lit.span(),
                    format!(
                        "`{shown}` is not valid UTF-8 (invalid byte at offset {})",
                        e.utf8_error().valid_up_to()
                    ),
                ));
                return item.fail(&errors);
            }
        },
        Err(e) => {
            errors.push(io_error(&shown, &e, lit.span()));
            return item.fail(&errors);
        }
    };
    let in_file = |diags: &[Diagnostic]| {
        let n = diags.iter().filter(|d| d.is_error()).count();
        syn::Error::new(
            lit.span(),
            format!(
                "`{shown}` has {n} error{}\n{}",
                if n == 1 { "" } else { "s" },
                render::to_string(&shown, &source, diags).trim_end()
            ),
        )
    };
    let network = match nn_dsl::front::nnd::parse_str(&source) {
        Ok(n) => n,
        Err(diags) => {
            errors.push(in_file(&diags));
            return item.fail(&errors);
        }
    };
    // A name the generated code cannot use is E0127 from the checker below; no fallback item.
    if nn_dsl::check::names::reserved(&network.name.node).is_none() {
        item.name = Some(Ident::new(&network.name.node, lit.span()));
    }
    let mut module = match nn_dsl::check::check(&network) {
        Ok((m, _)) => m,
        Err(diags) => {
            errors.push(in_file(&diags));
            return item.fail(&errors);
        }
    };
    let Some(weights_path) = module.weights.clone() else {
        errors.push(syn::Error::new(
            lit.span(),
            format!(
                "`{shown}`: network `{}` has no `weights \"...\";` statement, so its parameters are unknown",
                module.name
            ),
        ));
        return item.fail(&errors);
    };
    // As for nndc: the weights path is relative to the .nnd file's directory.
    let dir = abs.parent().map(Path::to_path_buf).unwrap_or_default();
    let shown_dir = Path::new(&shown)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let weights_shown = shown_dir.join(&weights_path.node).display().to_string();
    if Path::new(&weights_path.node).is_absolute() {
        errors.push(syn::Error::new(
            lit.span(),
            format!(
                "`{shown}` names its weights file by the absolute path `{}`\n= help: write the path relative to the .nnd file's directory, so that the crate builds on every machine",
                weights_path.node
            ),
        ));
        return item.fail(&errors);
    }
    let weights_abs = dir.join(&weights_path.node);
    let weights = match read_weights(&weights_abs, &weights_shown, lit.span()) {
        Ok(w) => w,
        Err(e) => {
            errors.push(e);
            return item.fail(&errors);
        }
    };
    if let Err(diags) = bind(&mut module, &weights, weights_path.span) {
        errors.push(in_file(&diags));
        return item.fail(&errors);
    }
    finish(
        &item,
        &module,
        &weights,
        &options,
        &[abs, weights_abs],
        lit.span(),
        errors,
    )
}

/// Lower, plan and generate; on success the generated items plus the file tracking.
fn finish(
    item: &Item,
    module: &Module,
    weights: &Weights,
    options: &Options,
    tracked: &[PathBuf],
    span: Span,
    mut errors: Errors,
) -> TokenStream {
    if !errors.is_empty() {
        return item.fail(&errors);
    }
    let Some(name) = &item.name else {
        errors.push(syn::Error::new(span, "the network has no name"));
        return item.fail(&errors);
    };
    let generated = match crate::generate::generate(module, weights, options, &item.vis, name) {
        Ok(ts) => ts,
        Err(e) => {
            errors.push(e);
            return item.fail(&errors);
        }
    };
    let tracking = tracked.iter().map(|p| {
        let p = p.display().to_string();
        quote! { const _: &[u8] = ::core::include_bytes!(#p); }
    });
    quote! {
        #generated
        #(#tracking)*
    }
}

fn push_diags(errors: &mut Errors, diags: &[Diagnostic], table: &SpanTable) {
    if let Some(e) = tokens::to_syn_errors(diags, table, Span::call_site()) {
        errors.push(e);
    }
}

/// An identifier for the generated type at the network name's token, or `None` for a name the
/// generated code cannot use ([`nn_dsl::check::names::reserved`]: keywords, `_`, `Input`,
/// `Result`, ...), which the checker reports (E0127). No fallback item is emitted for such a
/// name: `_` or `self` cannot be spelled at all, and an item named `Result` would shadow the
/// caller's.
fn ident(name: &str, table: &SpanTable, span: NndSpan) -> Option<Ident> {
    if nn_dsl::check::names::reserved(name).is_some() {
        return None;
    }
    let at = table.range(span).map_or_else(Span::call_site, |r| r.0);
    let mut i = syn::parse_str::<Ident>(name).ok()?;
    i.set_span(at);
    Some(i)
}

/// `path` (as written in the macro) resolved against the crate root; absolute paths refused.
fn resolve(path: &str, at: Span) -> Result<PathBuf, syn::Error> {
    let p = Path::new(path);
    if p.is_absolute() || path.starts_with('/') || path.starts_with('\\') {
        return Err(syn::Error::new(
            at,
            format!(
                "absolute path `{path}`\n= note: a path in a macro is relative to the crate root (CARGO_MANIFEST_DIR), so that the crate builds on every machine\n= help: write the path relative to the directory of Cargo.toml"
            ),
        ));
    }
    let root = std::env::var_os(MANIFEST_DIR_OVERRIDE)
        .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"))
        .ok_or_else(|| {
            syn::Error::new(
                at,
                "CARGO_MANIFEST_DIR is not set, so the path cannot be resolved (build with cargo)",
            )
        })?;
    Ok(PathBuf::from(root).join(p))
}

fn io_error(shown: &str, e: &std::io::Error, at: Span) -> syn::Error {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => e.to_string(),
    };
    syn::Error::new(
        at,
        format!("cannot read `{shown}`: {what}\n= note: the path is relative to the crate root (CARGO_MANIFEST_DIR)"),
    )
}

fn read_weights(abs: &Path, shown: &str, at: Span) -> Result<Weights, syn::Error> {
    let bytes = nn_dsl::files::read(abs, nn_dsl::files::FileKind::Weights)
        .map_err(|e| io_error(shown, &e, at))?;
    Weights::from_safetensors(&bytes, shown).map_err(|e| syn::Error::new(at, e.to_string()))
}

/// `DsCnn` -> `ds_cnn`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr;

    use proc_macro2::TokenStream;

    fn expand(f: fn(TokenStream) -> TokenStream, input: &str) -> String {
        f(TokenStream::from_str(input).unwrap()).to_string()
    }

    #[test]
    fn malformed_inputs_give_errors_not_panics() {
        let cases = [
            "",
            "#[target]",
            "#[crate = 3] network",
            "pub(crate)",
            "network",
            "network N",
            "tflite",
            "tflite =",
            "tflite = 3",
            "tflite = \"\"",
            "tflite = \"/abs.tflite\"",
            "tflite = \"Cargo.toml\"",
            "tflite = \"x.tflite\", crate = 3",
            "network N { input x: i8[4]; weights \"Cargo.toml\"; output y = relu(x); }",
            "network N { input x: i8[4]; weights \"\"; output y = relu(x); }",
            "network N { input x: i8[0]; output x; }",
            "network r#type { input x: i8[4]; output x; }",
            // Names without a raw form used to panic (issue 16, item 6).
            "network self { input x: i8[4]; output x; }",
            "network Self { input x: i8[4]; output x; }",
            "network _ { input x: i8[4]; output x; }",
            "network crate { input x: i8[4]; output x; }",
            "network super { input x: i8[4]; output x; }",
            "network Input { input x: i8[4]; output x; }",
            "tflite = \"x.tflite\", name = Result",
        ];
        for case in cases {
            let out = expand(super::network, case);
            assert!(out.contains("compile_error"), "{case}: {out}");
        }
        for case in [
            "",
            "3",
            "\"\"",
            "\"Cargo.toml\"",
            "\"/a.nnd\"",
            "\"a.nnd\", x = 1",
            "\"../../etc/passwd\"",
        ] {
            let out = expand(super::include_nnd, case);
            assert!(out.contains("compile_error"), "{case}: {out}");
        }
    }

    #[test]
    fn fallback_type_is_emitted_after_an_error() {
        let out = expand(
            super::network,
            "pub network Tiny { input x: i8[4]; output y = relu(z); }",
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("pub mod tiny"), "{out}");
        assert!(out.contains("pub struct Tiny"), "{out}");
        assert!(out.contains("pub use tiny :: Tiny"), "{out}");
    }
}
