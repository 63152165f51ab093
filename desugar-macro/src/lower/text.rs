//! Turning tokens back into the text a person would have typed, for the
//! documentation of each state (`fetch().await`, not `fetch () . await`).

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// The tokens as compact source text.
pub(crate) fn source_text(tokens: TokenStream) -> String {
    let mut out = String::new();
    write_tokens(&mut out, tokens);
    out
}

fn write_tokens(out: &mut String, tokens: TokenStream) {
    let mut joint = false;
    for token in tokens {
        match &token {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::None => ("", ""),
                };
                if group.delimiter() == Delimiter::Brace {
                    space(out);
                }
                out.push_str(open);
                write_tokens(out, group.stream());
                out.push_str(close);
                joint = false;
            }
            TokenTree::Ident(ident) => {
                if !joint {
                    space(out);
                }
                out.push_str(&ident.to_string());
                joint = false;
            }
            TokenTree::Literal(literal) => {
                if !joint {
                    space(out);
                }
                out.push_str(&literal.to_string());
                joint = false;
            }
            TokenTree::Punct(punct) => {
                let c = punct.as_char();
                let tight = matches!(c, '.' | ',' | ';' | '?' | ':' | '!' | '&' | '*' | '\'');
                if !tight && !joint {
                    space(out);
                }
                out.push(c);
                let path_separator =
                    c == ':' && (punct.spacing() == Spacing::Joint || out.ends_with("::"));
                if matches!(c, ',' | ';') || (c == ':' && !path_separator) {
                    out.push(' ');
                }
                joint = punct.spacing() == Spacing::Joint || matches!(c, '.' | '&' | '*' | '\'');
            }
        }
    }
}

/// Adds a space unless the text ends where no space belongs.
fn space(out: &mut String) {
    if !(out.is_empty() || out.ends_with([' ', '(', '[', '.', '&', '!', '*', ':'])) {
        out.push(' ');
    }
}

#[cfg(test)]
mod tests {
    use super::source_text;

    fn text(source: &str) -> String {
        source_text(source.parse().unwrap())
    }

    #[test]
    fn calls_and_method_chains_read_as_typed() {
        assert_eq!(text("fetch()"), "fetch()");
        assert_eq!(text("save(result)"), "save(result)");
        assert_eq!(
            text("client.get(url, &mut buf).send()"),
            "client.get(url, &mut buf).send()"
        );
        assert_eq!(
            text("std::future::ready(1 + 2)"),
            "std::future::ready(1 + 2)"
        );
        assert_eq!(text("async { x }"), "async { x }");
    }
}
