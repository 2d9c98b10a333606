//! A small `macro_rules!` expander, so that items a file makes with its own
//! macros (`code_enum! { BizType { … } }`) are listed like written ones.
//!
//! It handles what declarative macros of item shape use: literal tokens,
//! delimited groups, `$name:fragment` (parsed with `syn`) and `$( … ) sep? op`
//! repetitions, nested. A call it cannot match or whose expansion does not
//! parse as items is left as it is (and listed by its input): never an error.

use std::collections::BTreeMap;

use proc_macro2::{Delimiter, Group, Ident, Span, TokenStream, TokenTree};
use syn::Item;
use syn::parse::{ParseStream, Parser};

/// One element of a matcher.
#[derive(Debug, Clone)]
enum M {
    /// A token to match exactly (ident, punct or literal).
    Tok(TokenTree),
    /// A delimited group, matched inside.
    Group(Delimiter, Vec<M>),
    /// `$name:kind`.
    Frag(String, String),
    /// `$( … ) sep? op`.
    Rep(Vec<M>, Option<TokenTree>, char),
}

/// What a fragment matched: once, or once per repetition.
#[derive(Debug, Clone)]
enum Binding {
    One(Vec<TokenTree>),
    Many(Vec<Binding>),
}

type Bindings = BTreeMap<String, Binding>;

/// A macro's rules: (matcher, transcriber).
type Rules = Vec<(Vec<M>, Vec<TokenTree>)>;

/// Replaces calls of the `macro_rules!` defined in `items` by their
/// expansion (up to a few levels of macros calling macros). The call's
/// attributes (`#[cfg(…)]`) are put on every item it expands to.
pub(crate) fn expand_local_macros(items: &mut Vec<Item>) {
    let mut macros: BTreeMap<String, Rules> = BTreeMap::new();
    for item in items.iter() {
        if let Item::Macro(m) = item
            && m.mac.path.is_ident("macro_rules")
            && let Some(name) = &m.ident
            && let Some(rules) = parse_rules(m.mac.tokens.clone())
        {
            macros.insert(name.to_string(), rules);
        }
    }
    if macros.is_empty() {
        return;
    }
    for _ in 0..4 {
        let mut changed = false;
        let mut out = Vec::with_capacity(items.len());
        for item in items.drain(..) {
            let expanded = match &item {
                Item::Macro(m) if m.ident.is_none() => m
                    .mac
                    .path
                    .get_ident()
                    .and_then(|i| macros.get(&i.to_string()))
                    .and_then(|rules| expand(rules, m.mac.tokens.clone()))
                    .map(|new| (m.attrs.clone(), new)),
                _ => None,
            };
            match expanded {
                Some((attrs, new)) => {
                    changed = true;
                    for mut it in new {
                        if let Some(a) = attrs_mut(&mut it) {
                            let mut all = attrs.clone();
                            all.append(a);
                            *a = all;
                        }
                        out.push(it);
                    }
                }
                None => out.push(item),
            }
        }
        *items = out;
        if !changed {
            break;
        }
    }
}

fn attrs_mut(item: &mut Item) -> Option<&mut Vec<syn::Attribute>> {
    Some(match item {
        Item::Const(i) => &mut i.attrs,
        Item::Enum(i) => &mut i.attrs,
        Item::Fn(i) => &mut i.attrs,
        Item::Impl(i) => &mut i.attrs,
        Item::Macro(i) => &mut i.attrs,
        Item::Mod(i) => &mut i.attrs,
        Item::Static(i) => &mut i.attrs,
        Item::Struct(i) => &mut i.attrs,
        Item::Trait(i) => &mut i.attrs,
        Item::Type(i) => &mut i.attrs,
        Item::Union(i) => &mut i.attrs,
        Item::Use(i) => &mut i.attrs,
        _ => return None,
    })
}

/// The items a call expands to, by the first rule that matches.
fn expand(rules: &Rules, input: TokenStream) -> Option<Vec<Item>> {
    let input: Vec<TokenTree> = input.into_iter().collect();
    for (matcher, transcriber) in rules {
        let mut b = Bindings::new();
        if match_seq(matcher, &input, &mut b) == Some(input.len()) {
            let mut out = Vec::new();
            transcribe(transcriber, &b, &mut out)?;
            let file: syn::File = syn::parse2(out.into_iter().collect()).ok()?;
            return Some(file.items);
        }
    }
    None
}

/// `(matcher) => {transcriber};` …
fn parse_rules(body: TokenStream) -> Option<Rules> {
    let tokens: Vec<TokenTree> = body.into_iter().collect();
    let mut rules = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let TokenTree::Group(lhs) = &tokens[i] else {
            return None;
        };
        match (tokens.get(i + 1), tokens.get(i + 2)) {
            (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
                if a.as_char() == '=' && b.as_char() == '>' => {}
            _ => return None,
        }
        let Some(TokenTree::Group(rhs)) = tokens.get(i + 3) else {
            return None;
        };
        let lhs: Vec<TokenTree> = lhs.stream().into_iter().collect();
        rules.push((parse_matcher(&lhs)?, rhs.stream().into_iter().collect()));
        i += 4;
        if matches!(tokens.get(i), Some(TokenTree::Punct(p)) if p.as_char() == ';') {
            i += 1;
        }
    }
    Some(rules)
}

fn is_dollar(t: &TokenTree) -> bool {
    matches!(t, TokenTree::Punct(p) if p.as_char() == '$')
}

fn is_op(t: Option<&TokenTree>) -> Option<char> {
    match t {
        Some(TokenTree::Punct(p)) if matches!(p.as_char(), '*' | '+' | '?') => Some(p.as_char()),
        _ => None,
    }
}

fn parse_matcher(tokens: &[TokenTree]) -> Option<Vec<M>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if is_dollar(t) {
            match tokens.get(i + 1) {
                Some(TokenTree::Ident(name)) => {
                    let colon = matches!(tokens.get(i + 2), Some(TokenTree::Punct(p)) if p.as_char() == ':');
                    let Some(TokenTree::Ident(kind)) = tokens.get(i + 3) else {
                        return None;
                    };
                    if !colon {
                        return None;
                    }
                    out.push(M::Frag(name.to_string(), kind.to_string()));
                    i += 4;
                }
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    let inner = parse_matcher(&inner)?;
                    if let Some(op) = is_op(tokens.get(i + 2)) {
                        out.push(M::Rep(inner, None, op));
                        i += 3;
                    } else {
                        let sep = tokens.get(i + 2)?.clone();
                        let op = is_op(tokens.get(i + 3))?;
                        out.push(M::Rep(inner, Some(sep), op));
                        i += 4;
                    }
                }
                _ => return None,
            }
        } else if let TokenTree::Group(g) = t {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            out.push(M::Group(g.delimiter(), parse_matcher(&inner)?));
            i += 1;
        } else {
            out.push(M::Tok(t.clone()));
            i += 1;
        }
    }
    Some(out)
}

fn same(a: &TokenTree, b: &TokenTree) -> bool {
    match (a, b) {
        (TokenTree::Ident(x), TokenTree::Ident(y)) => x == y,
        (TokenTree::Punct(x), TokenTree::Punct(y)) => x.as_char() == y.as_char(),
        (TokenTree::Literal(x), TokenTree::Literal(y)) => x.to_string() == y.to_string(),
        _ => false,
    }
}

/// How many tokens of `input` the matcher takes, with its bindings.
fn match_seq(ms: &[M], input: &[TokenTree], b: &mut Bindings) -> Option<usize> {
    let mut pos = 0;
    for m in ms {
        let rest = input.get(pos..)?;
        match m {
            M::Tok(t) => {
                if !same(t, rest.first()?) {
                    return None;
                }
                pos += 1;
            }
            M::Group(delim, inner) => {
                let TokenTree::Group(g) = rest.first()? else {
                    return None;
                };
                if g.delimiter() != *delim {
                    return None;
                }
                let content: Vec<TokenTree> = g.stream().into_iter().collect();
                if match_seq(inner, &content, b)? != content.len() {
                    return None;
                }
                pos += 1;
            }
            M::Frag(name, kind) => {
                let n = fragment(kind, rest)?;
                b.insert(name.clone(), Binding::One(rest[..n].to_vec()));
                pos += n;
            }
            M::Rep(inner, sep, op) => {
                let mut iterations: Vec<Bindings> = Vec::new();
                loop {
                    let mut at = pos;
                    if !iterations.is_empty()
                        && let Some(s) = sep
                    {
                        match input.get(at) {
                            Some(t) if same(s, t) => at += 1,
                            _ => break,
                        }
                    }
                    let mut ib = Bindings::new();
                    match match_seq(inner, input.get(at..)?, &mut ib) {
                        Some(n) if n > 0 => {
                            iterations.push(ib);
                            pos = at + n;
                        }
                        _ => break,
                    }
                    if *op == '?' {
                        break;
                    }
                }
                if *op == '+' && iterations.is_empty() {
                    return None;
                }
                let mut names = Vec::new();
                frag_names(inner, &mut names);
                for name in names {
                    let per: Vec<Binding> = iterations
                        .iter()
                        .map(|it| it.get(&name).cloned().unwrap_or(Binding::Many(Vec::new())))
                        .collect();
                    b.insert(name, Binding::Many(per));
                }
            }
        }
    }
    Some(pos)
}

fn frag_names(ms: &[M], out: &mut Vec<String>) {
    for m in ms {
        match m {
            M::Frag(n, _) => out.push(n.clone()),
            M::Group(_, inner) | M::Rep(inner, _, _) => frag_names(inner, out),
            M::Tok(_) => {}
        }
    }
}

/// How many tokens a fragment of `kind` takes at the start of `input`.
fn fragment(kind: &str, input: &[TokenTree]) -> Option<usize> {
    match kind {
        "tt" => input.first().map(|_| 1),
        "ident" => matches!(input.first(), Some(TokenTree::Ident(_))).then_some(1),
        "lifetime" => match input {
            [TokenTree::Punct(p), TokenTree::Ident(_), ..] if p.as_char() == '\'' => Some(2),
            _ => None,
        },
        "literal" => match input {
            [TokenTree::Literal(_), ..] => Some(1),
            [TokenTree::Punct(p), TokenTree::Literal(_), ..] if p.as_char() == '-' => Some(2),
            [TokenTree::Ident(i), ..] if i == "true" || i == "false" => Some(1),
            _ => None,
        },
        _ => {
            let stream: TokenStream = input.iter().cloned().collect();
            let total = input.len();
            let parsed = |f: fn(ParseStream) -> syn::Result<()>| -> Option<usize> {
                let rest = (|s: ParseStream| {
                    f(s)?;
                    s.parse::<TokenStream>()
                })
                .parse2(stream.clone())
                .ok()?;
                Some(total - rest.into_iter().count())
            };
            match kind {
                "ty" => parsed(|s| s.parse::<syn::Type>().map(drop)),
                "expr" => parsed(|s| s.parse::<syn::Expr>().map(drop)),
                "path" => parsed(|s| s.parse::<syn::Path>().map(drop)),
                "meta" => parsed(|s| s.parse::<syn::Meta>().map(drop)),
                "vis" => parsed(|s| s.parse::<syn::Visibility>().map(drop)),
                "item" => parsed(|s| s.parse::<syn::Item>().map(drop)),
                "block" => parsed(|s| s.parse::<syn::Block>().map(drop)),
                "stmt" => parsed(|s| s.parse::<syn::Stmt>().map(drop)),
                "pat" | "pat_param" => parsed(|s| syn::Pat::parse_single(s).map(drop)),
                _ => None,
            }
        }
    }
}

/// Writes the transcriber with the bindings substituted.
fn transcribe(ts: &[TokenTree], b: &Bindings, out: &mut Vec<TokenTree>) -> Option<()> {
    let mut i = 0;
    while i < ts.len() {
        let t = &ts[i];
        if is_dollar(t) {
            match ts.get(i + 1) {
                Some(TokenTree::Ident(name)) if name == "crate" => {
                    out.push(TokenTree::Ident(Ident::new("crate", Span::call_site())));
                    i += 2;
                }
                Some(TokenTree::Ident(name)) => {
                    let Binding::One(tokens) = b.get(&name.to_string())? else {
                        return None;
                    };
                    // A fragment other than `tt`/`ident` acts as one unit.
                    if tokens.len() == 1 {
                        out.extend(tokens.iter().cloned());
                    } else {
                        out.push(TokenTree::Group(Group::new(
                            Delimiter::None,
                            tokens.iter().cloned().collect(),
                        )));
                    }
                    i += 2;
                }
                Some(TokenTree::Group(g)) if g.delimiter() == Delimiter::Parenthesis => {
                    let inner: Vec<TokenTree> = g.stream().into_iter().collect();
                    let (sep, step) = if is_op(ts.get(i + 2)).is_some() {
                        (None, 3)
                    } else {
                        is_op(ts.get(i + 3))?;
                        (ts.get(i + 2).cloned(), 4)
                    };
                    let mut used = Vec::new();
                    used_names(&inner, &mut used);
                    let mut count: Option<usize> = None;
                    for n in &used {
                        if let Some(Binding::Many(v)) = b.get(n) {
                            if count.is_some_and(|c| c != v.len()) {
                                return None;
                            }
                            count = Some(v.len());
                        }
                    }
                    for k in 0..count? {
                        if k > 0
                            && let Some(s) = &sep
                        {
                            out.push(s.clone());
                        }
                        let mut bk = b.clone();
                        for n in &used {
                            if let Some(Binding::Many(v)) = b.get(n) {
                                bk.insert(n.clone(), v.get(k)?.clone());
                            }
                        }
                        transcribe(&inner, &bk, out)?;
                    }
                    i += step;
                }
                _ => return None,
            }
        } else if let TokenTree::Group(g) = t {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            let mut content = Vec::new();
            transcribe(&inner, b, &mut content)?;
            let mut ng = Group::new(g.delimiter(), content.into_iter().collect());
            ng.set_span(g.span());
            out.push(TokenTree::Group(ng));
            i += 1;
        } else {
            out.push(t.clone());
            i += 1;
        }
    }
    Some(())
}

fn used_names(ts: &[TokenTree], out: &mut Vec<String>) {
    for (i, t) in ts.iter().enumerate() {
        if is_dollar(t)
            && let Some(TokenTree::Ident(n)) = ts.get(i + 1)
        {
            out.push(n.to_string());
        }
        if let TokenTree::Group(g) = t {
            let inner: Vec<TokenTree> = g.stream().into_iter().collect();
            used_names(&inner, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::ToTokens;

    fn expanded(src: &str) -> Vec<String> {
        let mut items = syn::parse_file(src).unwrap().items;
        expand_local_macros(&mut items);
        items
            .iter()
            .map(|i| i.to_token_stream().to_string())
            .collect()
    }

    #[test]
    fn repetitions_and_fragments_expand() {
        let out = expanded(
            "macro_rules! e {\n\
               ($(#[$m:meta])* $name:ident { $($v:ident = $c:literal,)* }) => {\n\
                 $(#[$m])* pub enum $name { $($v,)* }\n\
                 impl $name { pub const fn code(self) -> i64 { match self { $(Self::$v => $c,)* } } }\n\
               };\n\
             }\n\
             #[cfg(feature = \"x\")]\n\
             e! { #[derive(Debug)] Kind { A = 1, B = 2, } }\n",
        );
        assert_eq!(out.len(), 3, "{out:#?}");
        assert!(
            out[1].starts_with(
                "# [cfg (feature = \"x\")] # [derive (Debug)] pub enum Kind { A , B , }"
            ),
            "{out:#?}"
        );
        assert!(out[2].contains("Self :: B => 2"), "{out:#?}");
    }

    #[test]
    fn unmatched_calls_stay() {
        let out = expanded(
            "macro_rules! e { ($a:ident) => { pub struct $a; }; }\ne! { 1 2 }\nother! { x }\n",
        );
        assert_eq!(out.len(), 3, "{out:#?}");
        assert!(out[1].starts_with("e !"), "{out:#?}");
        // A rule whose expansion is not items leaves the call too.
        let out = expanded("macro_rules! e { ($a:ident) => { 1 + }; }\ne! { x }\n");
        assert!(out[1].starts_with("e !"), "{out:#?}");
    }
}
