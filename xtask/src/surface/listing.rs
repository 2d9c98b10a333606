//! Rust items as plain text lines: the building blocks of the API surface.
//!
//! A module becomes a [`Section`]: a title line and [`Block`]s (an item's
//! header and its indented members), sorted by item name so that moving code
//! around in a file changes nothing, while a changed signature, field, variant
//! or trait impl changes exactly its lines.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Fields, ImplItem, Item, TraitItem, Visibility};

/// What the walk needs to know about the whole crate.
#[derive(Debug, Default)]
pub(crate) struct Ctx {
    /// Names of the crate's `pub` types and traits (hand-written and generated).
    pub public: BTreeSet<String>,
    /// Names of the traits the crate keeps to itself (`pub(crate)` or private):
    /// their impls are not part of the public API.
    pub internal_traits: BTreeSet<String>,
    /// First path segments that name the crate's own items (`crate`, `self`,
    /// `types`, its module names): a path starting elsewhere is foreign even
    /// when its last name equals a public one (`reqwest::Client`).
    pub local_roots: BTreeSet<String>,
}

impl Ctx {
    /// A context that knows the crate's own path roots; fill it with
    /// [`Ctx::learn`], which adds the names of the modules it sees.
    pub fn new() -> Self {
        let local_roots = ["crate", "self", "super", "Self", "types", "requests"]
            .into_iter()
            .map(String::from)
            .collect();
        Ctx {
            local_roots,
            ..Ctx::default()
        }
    }

    /// Adds the names declared in `items` (and their inline modules).
    pub fn learn(&mut self, items: &[Item]) {
        for item in items {
            if attrs_of(item).is_some_and(cfg_test) {
                continue;
            }
            match item {
                Item::Struct(s) if is_pub(&s.vis) => {
                    self.public.insert(s.ident.to_string());
                }
                Item::Enum(e) if is_pub(&e.vis) => {
                    self.public.insert(e.ident.to_string());
                }
                Item::Union(u) if is_pub(&u.vis) => {
                    self.public.insert(u.ident.to_string());
                }
                Item::Type(t) if is_pub(&t.vis) => {
                    self.public.insert(t.ident.to_string());
                }
                Item::Trait(t) if is_pub(&t.vis) => {
                    self.public.insert(t.ident.to_string());
                }
                Item::Trait(t) => {
                    self.internal_traits.insert(t.ident.to_string());
                }
                Item::Mod(m) => {
                    self.local_roots.insert(m.ident.to_string());
                    if let Some((_, inner)) = &m.content {
                        self.learn(inner);
                    }
                }
                _ => {}
            }
        }
    }

    /// Whether a path is written from inside the crate (one segment, or
    /// starting at `crate`, `self`, `types`, a module of the crate).
    fn is_local(&self, segments: &[String]) -> bool {
        segments.len() == 1
            || segments
                .first()
                .is_some_and(|f| self.local_roots.contains(f))
    }

    /// Whether a path names one of the crate's public items.
    fn is_public_path(&self, segments: &[String]) -> bool {
        segments.last().is_some_and(|l| self.public.contains(l)) && self.is_local(segments)
    }

    /// The first public item named in `tokens` (a type, a trait's arguments).
    fn first_public(&self, tokens: &TokenStream) -> Option<String> {
        let mut paths = Vec::new();
        paths_in(tokens.clone(), &mut paths);
        paths
            .into_iter()
            .find(|p| self.is_public_path(p))
            .and_then(|p| p.last().cloned())
    }
}

/// The paths (`a::b::C`) written in `tokens`, at any depth, in order.
fn paths_in(tokens: TokenStream, out: &mut Vec<Vec<String>>) {
    let mut current: Vec<String> = Vec::new();
    let mut colons = 0;
    let flush = |current: &mut Vec<String>, out: &mut Vec<Vec<String>>| {
        if !current.is_empty() {
            out.push(std::mem::take(current));
        }
    };
    for t in tokens {
        match t {
            TokenTree::Ident(i) => {
                if colons != 2 {
                    flush(&mut current, out);
                }
                colons = 0;
                current.push(i.to_string());
            }
            TokenTree::Punct(p) if p.as_char() == ':' => {
                colons += 1;
                if colons > 2 {
                    flush(&mut current, out);
                    colons = 0;
                }
            }
            TokenTree::Group(g) => {
                flush(&mut current, out);
                colons = 0;
                paths_in(g.stream(), out);
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => {
                // `<` of `Vec<T>` ends `Vec`; generic arguments are separate paths.
                flush(&mut current, out);
                colons = 0;
            }
        }
    }
    flush(&mut current, out);
}

/// An item: its header line and indented member lines, with a sort key.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    key: (u8, String, u8, String),
    lines: Vec<String>,
    /// Members are sorted (impl and trait items); fields and variants keep
    /// their declaration order, which is meaningful.
    sort_members: bool,
}

/// A module's listing: a title line, then its blocks in order.
#[derive(Debug, Clone)]
pub(crate) struct Section {
    /// The first line (`mod types`, `// src/client.rs`).
    pub title: String,
    blocks: Vec<Block>,
}

impl Section {
    /// Writes the section: a blank line, the title, then the blocks sorted,
    /// inherent impl blocks with the same header merged.
    pub fn render(&self, out: &mut String) {
        let mut merged: BTreeMap<(u8, String, u8, String), Block> = BTreeMap::new();
        for b in &self.blocks {
            match merged.get_mut(&b.key) {
                Some(existing) if existing.sort_members && b.sort_members => {
                    existing.lines.extend(b.lines.iter().skip(1).cloned());
                }
                Some(existing) => {
                    // Two distinct items with one key (rare): keep both.
                    existing.lines.extend(b.lines.iter().cloned());
                }
                None => {
                    merged.insert(b.key.clone(), b.clone());
                }
            }
        }
        let _ = writeln!(out, "\n{}", self.title);
        for b in merged.values() {
            let mut lines = b.lines.clone();
            if b.sort_members && lines.len() > 1 {
                let mut members = lines.split_off(1);
                members.sort();
                members.dedup();
                lines.extend(members);
            }
            for l in lines {
                let _ = writeln!(out, "{l}");
            }
        }
    }
}

/// Walks a module's items: pushes its section (titled `title(prefix)`) and
/// then one section per inline module inside it.
pub(crate) fn walk(
    items: &[Item],
    prefix: &str,
    title: &dyn Fn(&str, &str) -> String,
    inherited: &str,
    ctx: &Ctx,
    out: &mut Vec<Section>,
) {
    let index = out.len();
    out.push(Section {
        title: title(prefix, inherited),
        blocks: Vec::new(),
    });
    let mut blocks = Vec::new();
    let mut nested: Vec<(String, String, &[Item])> = Vec::new();
    let p = if prefix.is_empty() {
        String::new()
    } else {
        format!("{prefix}::")
    };
    for item in items {
        if attrs_of(item).is_some_and(cfg_test) {
            continue;
        }
        item_blocks(item, &p, ctx, &mut blocks);
        if let Item::Mod(m) = item
            && let Some((_, inner)) = &m.content
        {
            let cfg = join_marks(inherited, &cfg_marks(&m.attrs));
            nested.push((format!("{p}{}", m.ident), cfg, inner));
        }
    }
    if let Some(s) = out.get_mut(index) {
        s.blocks = blocks;
    }
    nested.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, cfg, inner) in nested {
        walk(inner, &path, title, &cfg, ctx, out);
    }
    // A private inline module without public items says nothing.
    if let Some(s) = out.get(index)
        && s.blocks.is_empty()
        && !prefix.is_empty()
        && out.len() == index + 1
    {
        out.truncate(index);
    }
}

/// Ranks of blocks: module-level lines first, then items, each followed by
/// its inherent impls and its trait impls.
const MODULE_LINE: u8 = 0;
const ITEM: u8 = 1;
const INHERENT: u8 = 2;
const TRAIT_IMPL: u8 = 3;

fn block(name: &str, rank: u8, header: String, members: Vec<String>, sort: bool) -> Block {
    let group = u8::from(rank != MODULE_LINE);
    let mut lines = vec![header.clone()];
    lines.extend(members);
    Block {
        key: (group, name.to_string(), rank, header),
        lines,
        sort_members: sort,
    }
}

fn item_blocks(item: &Item, p: &str, ctx: &Ctx, out: &mut Vec<Block>) {
    match item {
        Item::Mod(m) if is_pub(&m.vis) => {
            let marks = marks(&m.attrs);
            out.push(block(
                &format!("{p}{}", m.ident),
                MODULE_LINE,
                format!("{marks}mod {p}{}", m.ident),
                Vec::new(),
                false,
            ));
        }
        Item::Struct(st) if is_pub(&st.vis) => {
            let (generics, wc) = generics_text(&st.generics);
            let header = format!(
                "{}struct {p}{}{generics}{wc}{}",
                marks(&st.attrs),
                st.ident,
                derive_text(&st.attrs)
            );
            let mut members = Vec::new();
            fields(&st.fields, false, "    ", &mut members);
            out.push(block(&st.ident.to_string(), ITEM, header, members, false));
        }
        Item::Union(u) if is_pub(&u.vis) => {
            let (generics, wc) = generics_text(&u.generics);
            let header = format!(
                "{}union {p}{}{generics}{wc}{}",
                marks(&u.attrs),
                u.ident,
                derive_text(&u.attrs)
            );
            let mut members = Vec::new();
            fields(
                &Fields::Named(u.fields.clone()),
                false,
                "    ",
                &mut members,
            );
            out.push(block(&u.ident.to_string(), ITEM, header, members, false));
        }
        Item::Enum(en) if is_pub(&en.vis) => {
            let (generics, wc) = generics_text(&en.generics);
            let header = format!(
                "{}enum {p}{}{generics}{wc}{}",
                marks(&en.attrs),
                en.ident,
                derive_text(&en.attrs)
            );
            let mut members = Vec::new();
            for v in &en.variants {
                let wire = wire_name(&v.attrs)
                    .map(|w| format!("  (wire {w:?})"))
                    .unwrap_or_default();
                let disc = v
                    .discriminant
                    .as_ref()
                    .map(|(_, e)| format!(" = {}", tokens_text(&e.to_token_stream())))
                    .unwrap_or_default();
                members.push(format!(
                    "    {}variant {}{disc}{wire}",
                    marks(&v.attrs),
                    v.ident
                ));
                fields(&v.fields, true, "        ", &mut members);
            }
            out.push(block(&en.ident.to_string(), ITEM, header, members, false));
        }
        Item::Type(t) if is_pub(&t.vis) => {
            let (generics, wc) = generics_text(&t.generics);
            out.push(block(
                &t.ident.to_string(),
                ITEM,
                format!(
                    "{}type {p}{}{generics}{wc} = {}",
                    marks(&t.attrs),
                    t.ident,
                    flat(&t.ty)
                ),
                Vec::new(),
                false,
            ));
        }
        Item::Const(c) if is_pub(&c.vis) => {
            out.push(block(
                &c.ident.to_string(),
                ITEM,
                format!("{}const {p}{}: {}", marks(&c.attrs), c.ident, flat(&c.ty)),
                Vec::new(),
                false,
            ));
        }
        Item::Static(s) if is_pub(&s.vis) => {
            let m = if matches!(s.mutability, syn::StaticMutability::Mut(_)) {
                "mut "
            } else {
                ""
            };
            out.push(block(
                &s.ident.to_string(),
                ITEM,
                format!(
                    "{}static {m}{p}{}: {}",
                    marks(&s.attrs),
                    s.ident,
                    flat(&s.ty)
                ),
                Vec::new(),
                false,
            ));
        }
        Item::Fn(f) if is_pub(&f.vis) => {
            let sig = signature(&f.sig).replacen("fn ", &format!("fn {p}"), 1);
            out.push(block(
                &f.sig.ident.to_string(),
                ITEM,
                format!("{}{sig}", marks(&f.attrs)),
                Vec::new(),
                false,
            ));
        }
        Item::Trait(t) if is_pub(&t.vis) => {
            let (generics, wc) = generics_text(&t.generics);
            let supers = if t.supertraits.is_empty() {
                String::new()
            } else {
                format!(": {}", tokens_text(&t.supertraits.to_token_stream()))
            };
            let unsafety = if t.unsafety.is_some() { "unsafe " } else { "" };
            let header = format!(
                "{}{unsafety}trait {p}{}{generics}{supers}{wc}",
                marks(&t.attrs),
                t.ident
            );
            let members = t
                .items
                .iter()
                .filter_map(|i| match i {
                    TraitItem::Fn(f) => Some(format!(
                        "    {}{}{}",
                        marks(&f.attrs),
                        signature(&f.sig),
                        if f.default.is_some() {
                            "  (provided)"
                        } else {
                            ""
                        }
                    )),
                    TraitItem::Type(ty) => {
                        let bounds = if ty.bounds.is_empty() {
                            String::new()
                        } else {
                            format!(": {}", tokens_text(&ty.bounds.to_token_stream()))
                        };
                        Some(format!("    {}type {}{bounds}", marks(&ty.attrs), ty.ident))
                    }
                    TraitItem::Const(c) => Some(format!(
                        "    {}const {}: {}",
                        marks(&c.attrs),
                        c.ident,
                        flat(&c.ty)
                    )),
                    _ => None,
                })
                .collect();
            out.push(block(&t.ident.to_string(), ITEM, header, members, true));
        }
        Item::Use(u) if is_pub(&u.vis) => {
            let marks = marks(&u.attrs);
            let mut leaves = Vec::new();
            use_leaves(&u.tree, String::new(), &mut leaves);
            for leaf in leaves {
                out.push(block(
                    &leaf,
                    MODULE_LINE,
                    format!("{marks}use {leaf}"),
                    Vec::new(),
                    false,
                ));
            }
        }
        Item::Macro(m) => macro_block(m, out),
        Item::Impl(im) => impl_block(im, ctx, out),
        _ => {}
    }
}

fn impl_block(im: &syn::ItemImpl, ctx: &Ctx, out: &mut Vec<Block>) {
    if cfg_test(&im.attrs) {
        return;
    }
    let self_ty = flat(&im.self_ty);
    let (generics, wc) = generics_text(&im.generics);
    let unsafety = if im.unsafety.is_some() { "unsafe " } else { "" };
    let outer = marks(&im.attrs);
    match &im.trait_ {
        Some((bang, path, _)) => {
            let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            let trait_name = segs.last().cloned().unwrap_or_default();
            if ctx.internal_traits.contains(&trait_name) && ctx.is_local(&segs) {
                return;
            }
            let args: TokenStream = path
                .segments
                .iter()
                .map(|s| s.arguments.to_token_stream())
                .collect();
            // Sorted under the public type it is for, or the public type in the
            // trait's arguments (`From<X> for String`), or the crate's trait.
            let subject = ctx
                .first_public(&im.self_ty.to_token_stream())
                .or_else(|| ctx.first_public(&args))
                .or_else(|| ctx.is_public_path(&segs).then(|| trait_name.clone()));
            let Some(name) = subject else {
                return;
            };
            let neg = if bang.is_some() { "!" } else { "" };
            let header = format!(
                "{outer}{unsafety}impl{generics} {neg}{} for {self_ty}{wc}",
                flat_path(path)
            );
            let members = im
                .items
                .iter()
                .filter_map(|i| match i {
                    ImplItem::Type(t) => Some(format!(
                        "    {}type {} = {}",
                        marks(&t.attrs),
                        t.ident,
                        flat(&t.ty)
                    )),
                    _ => None,
                })
                .collect();
            out.push(block(&name, TRAIT_IMPL, header, members, true));
        }
        None => {
            let syn::Type::Path(tp) = &*im.self_ty else {
                return;
            };
            let segs: Vec<String> = tp
                .path
                .segments
                .iter()
                .map(|s| s.ident.to_string())
                .collect();
            if !ctx.is_public_path(&segs) {
                return;
            }
            let members: Vec<String> =
                im.items
                    .iter()
                    .filter_map(|i| match i {
                        ImplItem::Fn(f) if is_pub(&f.vis) && !cfg_test(&f.attrs) => {
                            Some(format!("    {}{}", marks(&f.attrs), signature(&f.sig)))
                        }
                        ImplItem::Const(c) if is_pub(&c.vis) && !cfg_test(&c.attrs) => Some(
                            format!("    {}const {}: {}", marks(&c.attrs), c.ident, flat(&c.ty)),
                        ),
                        _ => None,
                    })
                    .collect();
            if members.is_empty() {
                return;
            }
            let header = format!("{outer}{unsafety}impl{generics} {self_ty}{wc}");
            let name = base_name(&im.self_ty);
            out.push(block(&name, INHERENT, header, members, true));
        }
    }
}

/// `include!(…)` (generated code pulled in; listed elsewhere or not at all),
/// exported `macro_rules!` (by a digest of its rules, so a changed macro
/// shows), and item-level macro calls left unexpanded (their input, without
/// doc comments). A local `macro_rules!` is not API: its expansions are.
fn macro_block(m: &syn::ItemMacro, out: &mut Vec<Block>) {
    let marks = marks(&m.attrs);
    let path = m.mac.path.to_token_stream().to_string().replace(' ', "");
    let body = tokens_text(&strip_docs(m.mac.tokens.clone()));
    if path == "macro_rules" {
        let name = m.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
        if !m.attrs.iter().any(|a| a.path().is_ident("macro_export")) {
            return;
        }
        out.push(block(
            &name,
            ITEM,
            format!(
                "{marks}macro_rules! {name}  (exported, rules digest {:016x})",
                fnv64(&body)
            ),
            Vec::new(),
            false,
        ));
    } else if path == "include" {
        out.push(block(
            "",
            MODULE_LINE,
            format!("{marks}include!({body})"),
            Vec::new(),
            false,
        ));
    } else {
        out.push(block(
            &path,
            ITEM,
            format!("{marks}{path}! {{ {body} }}  (not expanded)"),
            Vec::new(),
            false,
        ));
    }
}

/// FNV-1a, 64 bits: a digest stable across runs and platforms.
fn fnv64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The tokens without `#[doc = …]` attributes (doc comments), at any depth.
fn strip_docs(tokens: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(t) = iter.next() {
        if let TokenTree::Punct(p) = &t
            && p.as_char() == '#'
            && let Some(TokenTree::Group(g)) = iter.peek()
            && g.delimiter() == proc_macro2::Delimiter::Bracket
            && matches!(g.stream().into_iter().next(), Some(TokenTree::Ident(i)) if i == "doc")
        {
            iter.next();
            continue;
        }
        match t {
            TokenTree::Group(g) => {
                let mut ng = proc_macro2::Group::new(g.delimiter(), strip_docs(g.stream()));
                ng.set_span(g.span());
                out.push(TokenTree::Group(ng));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

fn use_leaves(tree: &syn::UseTree, prefix: String, out: &mut Vec<String>) {
    match tree {
        syn::UseTree::Path(p) => use_leaves(&p.tree, format!("{prefix}{}::", p.ident), out),
        syn::UseTree::Name(n) => out.push(format!("{prefix}{}", n.ident)),
        syn::UseTree::Rename(r) => out.push(format!("{prefix}{} as {}", r.ident, r.rename)),
        syn::UseTree::Glob(_) => out.push(format!("{prefix}*")),
        syn::UseTree::Group(g) => {
            for t in &g.items {
                use_leaves(t, prefix.clone(), out);
            }
        }
    }
}

/// The attributes of an item, when it has any.
pub(crate) fn attrs_of(item: &Item) -> Option<&[syn::Attribute]> {
    Some(match item {
        Item::Const(i) => &i.attrs,
        Item::Enum(i) => &i.attrs,
        Item::ExternCrate(i) => &i.attrs,
        Item::Fn(i) => &i.attrs,
        Item::ForeignMod(i) => &i.attrs,
        Item::Impl(i) => &i.attrs,
        Item::Macro(i) => &i.attrs,
        Item::Mod(i) => &i.attrs,
        Item::Static(i) => &i.attrs,
        Item::Struct(i) => &i.attrs,
        Item::Trait(i) => &i.attrs,
        Item::TraitAlias(i) => &i.attrs,
        Item::Type(i) => &i.attrs,
        Item::Union(i) => &i.attrs,
        Item::Use(i) => &i.attrs,
        _ => return None,
    })
}

/// Whether the item exists only in test builds (`#[cfg(test)]`,
/// `#[cfg(all(test, …))]`).
pub(crate) fn cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("cfg")).any(|a| {
        a.parse_args::<syn::Meta>()
            .map(|m| needs_test(&m))
            .unwrap_or(false)
    })
}

fn needs_test(m: &syn::Meta) -> bool {
    match m {
        syn::Meta::Path(p) => p.is_ident("test"),
        syn::Meta::List(l) => {
            let Ok(args) = l.parse_args_with(
                syn::punctuated::Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated,
            ) else {
                return false;
            };
            if l.path.is_ident("all") {
                args.iter().any(needs_test)
            } else if l.path.is_ident("any") {
                !args.is_empty() && args.iter().all(needs_test)
            } else {
                false
            }
        }
        syn::Meta::NameValue(_) => false,
    }
}

/// The `#[cfg(…)]` attributes of an item, as written (one line each joined by
/// a space), with a trailing space when there are any.
pub(crate) fn cfg_marks(attrs: &[syn::Attribute]) -> String {
    let mut s = String::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let _ = write!(s, "{} ", attr_text(a));
    }
    s
}

/// The marks of an item that change what a user can do with it: `cfg`,
/// `non_exhaustive`, `deprecated`, `doc(hidden)`.
pub(crate) fn marks(attrs: &[syn::Attribute]) -> String {
    let mut s = cfg_marks(attrs);
    for a in attrs {
        let p = a.path();
        let hidden = p.is_ident("doc")
            && a.parse_args::<syn::Path>()
                .is_ok_and(|inner| inner.is_ident("hidden"));
        if p.is_ident("non_exhaustive") || p.is_ident("deprecated") || hidden {
            let _ = write!(s, "{} ", attr_text(a));
        }
    }
    s
}

fn join_marks(a: &str, b: &str) -> String {
    format!("{a}{b}")
}

fn attr_text(a: &syn::Attribute) -> String {
    let t = tokens_text(&a.to_token_stream());
    t.replacen("# [", "#[", 1).replacen("#[ ", "#[", 1)
}

fn is_pub(v: &Visibility) -> bool {
    matches!(v, Visibility::Public(_))
}

/// The last name of a type's path (`Client` for `&crate::Client`).
fn base_name(ty: &syn::Type) -> String {
    match ty {
        syn::Type::Reference(r) => base_name(&r.elem),
        syn::Type::Paren(p) => base_name(&p.elem),
        syn::Type::Group(g) => base_name(&g.elem),
        syn::Type::Path(p) => p
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default(),
        other => flat(other),
    }
}

/// One line of Rust for a type: whitespace collapsed, `::std::…` paths shortened.
pub(crate) fn flat(tokens: impl ToTokens) -> String {
    let ty: syn::Type = match syn::parse2(tokens.to_token_stream()) {
        Ok(t) => t,
        Err(_) => return tokens_text(&tokens.to_token_stream()),
    };
    let file: syn::File = syn::parse_quote!(type X = #ty;);
    let text = prettyplease::unparse(&file);
    let text = text
        .trim()
        .trim_start_matches("type X = ")
        .trim_end_matches(';');
    simplify(text)
}

/// Token text made readable: the spacing `TokenStream::to_string` adds
/// around punctuation removed where Rust is written without it.
fn tokens_text(tokens: &TokenStream) -> String {
    let mut s = simplify(&tokens.to_string());
    for (from, to) in [
        (" :", ":"),
        (" < ", "<"),
        (" <", "<"),
        (" >", ">"),
        ("& '", "&'"),
        ("' ", "'"),
        (" ,", ","),
        (" ;", ";"),
        ("# [", "#["),
        (" !", "!"),
        ("[ ", "["),
        (" ]", "]"),
        (" (", "("),
        (" )", ")"),
        (" . ", "."),
        ("& ", "&"),
    ] {
        s = s.replace(from, to);
    }
    s
}

pub(crate) fn simplify(text: &str) -> String {
    let mut s = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for (from, to) in [
        ("( ", "("),
        (", )", ")"),
        (",)", ")"),
        ("< ", "<"),
        (", >", ">"),
        (",>", ">"),
        ("{ ", "{"),
        (", }", "}"),
        (" }", "}"),
        (",}", "}"),
        (" , ", ", "),
        (" :: ", "::"),
        ("::std::string::", ""),
        ("::std::vec::", ""),
        ("::std::option::", ""),
        ("::std::num::", ""),
        ("::std::collections::", ""),
        ("::std::", "std::"),
    ] {
        s = s.replace(from, to);
    }
    s
}

/// A function signature on one line, without `pub`.
pub(crate) fn signature(sig: &syn::Signature) -> String {
    let f: syn::File = syn::parse_quote!(#sig {});
    let text = prettyplease::unparse(&f);
    let s = simplify(text.trim().trim_end_matches("{}").trim());
    s.trim_end_matches(',').to_string()
}

/// `(<params>, " where …")` of generics, as prettyplease writes them.
fn generics_text(g: &syn::Generics) -> (String, String) {
    if g.params.is_empty() && g.where_clause.is_none() {
        return (String::new(), String::new());
    }
    let wc = &g.where_clause;
    let f: syn::File = syn::parse_quote!(fn __f #g () #wc {});
    let text = simplify(&prettyplease::unparse(&f));
    let text = text.trim().trim_end_matches("{}").trim();
    let rest = text.trim_start_matches("fn __f");
    match rest.split_once("()") {
        Some((params, wc)) => {
            let wc = wc.trim().trim_end_matches(',');
            let wc = if wc.is_empty() {
                String::new()
            } else {
                format!(" {wc}")
            };
            (params.to_string(), wc)
        }
        None => (tokens_text(&g.to_token_stream()), String::new()),
    }
}

fn derive_text(attrs: &[syn::Attribute]) -> String {
    let d = derives(attrs);
    if d.is_empty() {
        String::new()
    } else {
        format!("  derive({})", d.join(", "))
    }
}

fn derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for a in attrs.iter().filter(|a| a.path().is_ident("derive")) {
        let _ = a.parse_nested_meta(|m| {
            let p = m.path.to_token_stream().to_string().replace(' ', "");
            out.push(p.rsplit("::").next().unwrap_or(&p).to_string());
            Ok(())
        });
    }
    out.sort();
    out
}

/// `rename = "…"` of a `#[serde(…)]` attribute.
fn wire_name(attrs: &[syn::Attribute]) -> Option<String> {
    let mut name = None;
    for a in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("rename") {
                let lit: syn::LitStr = m.value()?.parse()?;
                name = Some(lit.value());
            } else if m.input.peek(syn::Token![=]) {
                let _: syn::Expr = m.value()?.parse()?;
            } else if m.input.peek(syn::token::Paren) {
                let content;
                syn::parenthesized!(content in m.input);
                let _: TokenStream = content.parse()?;
            }
            Ok(())
        });
    }
    name
}

/// The fields of a struct, union or (`variant`: all fields public) enum variant.
fn fields(fields: &Fields, variant: bool, indent: &str, out: &mut Vec<String>) {
    match fields {
        Fields::Named(named) => {
            let mut private = false;
            for f in &named.named {
                if !variant && !is_pub(&f.vis) {
                    private = true;
                    continue;
                }
                let name = f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default();
                let wire = wire_name(&f.attrs)
                    .map(|w| format!("  (wire {w:?})"))
                    .unwrap_or_default();
                let vis = if variant { "" } else { "pub " };
                out.push(format!(
                    "{indent}{}{vis}{name}: {}{wire}",
                    marks(&f.attrs),
                    flat(&f.ty)
                ));
            }
            if private {
                out.push(format!("{indent}(private fields)"));
            }
        }
        Fields::Unnamed(unnamed) => {
            let mut private = false;
            for (i, f) in unnamed.unnamed.iter().enumerate() {
                if variant {
                    out.push(format!("{indent}{i}: {}", flat(&f.ty)));
                } else if is_pub(&f.vis) {
                    out.push(format!("{indent}pub {i}: {}", flat(&f.ty)));
                } else {
                    private = true;
                }
            }
            if private {
                out.push(format!("{indent}(private fields)"));
            }
        }
        Fields::Unit => {}
    }
}

fn flat_path(p: &syn::Path) -> String {
    let ty: syn::Type = syn::Type::Path(syn::TypePath {
        qself: None,
        path: p.clone(),
    });
    flat(ty)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(src: &str) -> Vec<Item> {
        syn::parse_file(src).unwrap().items
    }

    fn listing(src: &str) -> String {
        let items = items(src);
        let mut ctx = Ctx::new();
        ctx.learn(&items);
        let mut sections = Vec::new();
        walk(
            &items,
            "",
            &|p, _| format!("// {p}"),
            "",
            &ctx,
            &mut sections,
        );
        let mut out = String::new();
        for s in &sections {
            s.render(&mut out);
        }
        out
    }

    #[test]
    fn test_only_code_is_recognised() {
        for (attr, test) in [
            ("#[cfg(test)]", true),
            ("#[cfg(all(test, feature = \"mock\"))]", true),
            ("#[cfg(any(test, doctest))]", false),
            ("#[cfg(not(test))]", false),
            ("#[cfg(feature = \"mock\")]", false),
        ] {
            let item = &items(&format!("{attr} mod m {{}}"))[0];
            assert_eq!(attrs_of(item).is_some_and(cfg_test), test, "{attr}");
        }
    }

    #[test]
    fn items_are_sorted_and_impls_follow_their_type() {
        let out = listing(
            "pub fn zeta() {}\n\
             impl Alpha { pub fn b(&self) {} fn private(&self) {} pub(crate) fn c(&self) {} }\n\
             pub struct Alpha { pub x: u8, y: u8 }\n\
             impl Alpha { pub fn a(&self) {} }\n\
             impl From<Alpha> for String { fn from(_: Alpha) -> String { String::new() } }\n\
             impl std::fmt::Display for Hidden { fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { Ok(()) } }\n\
             impl reqwest::Alpha for Hidden {}\n\
             struct Hidden;\n\
             pub(crate) trait Internal {}\n\
             impl Internal for Alpha {}\n\
             #[cfg(feature = \"x\")] pub use inner::{A, b::C as D};\n\
             pub enum E { #[serde(rename = \"v\")] V { n: u8 }, W(u8) = 3 }\n",
        );
        assert_eq!(
            out,
            "\n// \n\
             #[cfg(feature = \"x\")] use inner::A\n\
             #[cfg(feature = \"x\")] use inner::b::C as D\n\
             struct Alpha\n    pub x: u8\n    (private fields)\n\
             impl Alpha\n    fn a(&self)\n    fn b(&self)\n\
             impl From<Alpha> for String\n\
             enum E\n    variant V  (wire \"v\")\n        n: u8\n    variant W = 3\n        0: u8\n\
             fn zeta()\n"
        );
    }

    #[test]
    fn macros_are_listed_by_their_input_or_digest() {
        let out = listing("other! {\n    /// docs are not API\n    Foo\n}\n");
        assert!(out.contains("\nother! { Foo }  (not expanded)\n"), "{out}");
        let exported = |rules: &str| {
            listing(&format!("#[macro_export] macro_rules! m {{ {rules} }}\n"))
                .lines()
                .find(|l| l.starts_with("macro_rules! m  (exported, rules digest "))
                .map(String::from)
        };
        let a = exported("($n:ident) => { pub struct $n; };");
        let b = exported("($n:ident) => { pub struct $n(u8); };");
        assert!(a.is_some() && b.is_some() && a != b, "{a:?} {b:?}");
        assert!(!listing("macro_rules! m { () => {}; }\n").contains("macro_rules"));
    }

    #[test]
    fn paths_are_split() {
        let ty: syn::Type = syn::parse_str("Result<crate::a::B, ::std::io::Error>").unwrap();
        let mut out = Vec::new();
        paths_in(ty.to_token_stream(), &mut out);
        assert_eq!(
            out,
            [
                vec!["Result".to_string()],
                vec!["crate".into(), "a".into(), "B".into()],
                vec!["std".into(), "io".into(), "Error".into()],
            ]
        );
    }
}
