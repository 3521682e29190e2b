//! Just enough of a line of JavaScript for `actions/github-script`: which variables and
//! environment variables it reads outside its string literals, and what it declares.

/// A line of JavaScript with the text of its string literals blanked, the `${…}` of template
/// literals kept: what the code reads, not what it says.
pub(crate) fn code(line: &str) -> String {
    let mut code = String::with_capacity(line.len());
    let mut quote: Option<char> = None;
    let mut depth = 0; // open `${` inside a template literal
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if depth == 0 => {
                code.push(' ');
                if c == '\\' {
                    chars.next();
                } else if c == q {
                    quote = None;
                } else if q == '`' && c == '$' && chars.peek() == Some(&'{') {
                    chars.next();
                    depth = 1;
                    code.push(' ');
                }
            }
            Some(_) => {
                depth += usize::from(c == '{');
                depth -= usize::from(c == '}');
                code.push(if depth == 0 { ' ' } else { c });
            }
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None => code.push(c),
        }
    }
    code
}

/// `process.env.NAME` and `process.env['NAME']` read in a line of JavaScript.
pub(crate) fn env_reads(line: &str) -> Vec<&str> {
    let ident = |s: &str| s.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(s.len());
    let mut names = Vec::new();
    for (at, _) in line.match_indices("process.env") {
        let rest = &line[at + "process.env".len()..];
        let name = if let Some(r) = rest.strip_prefix('.') {
            &r[..ident(r)]
        } else if let Some(r) = rest.strip_prefix("['").or_else(|| rest.strip_prefix("[\"")) {
            &r[..ident(r)]
        } else {
            continue;
        };
        if !name.is_empty() {
            names.push(name);
        }
    }
    names
}

/// The variable a `const`, `let` or `var` line declares.
pub(crate) fn declared(line: &str) -> Option<&str> {
    let rest = ["const ", "let ", "var "].iter().find_map(|k| line.trim_start().strip_prefix(k))?;
    let (name, value) = rest.split_once('=')?;
    let name = name.trim();
    (!value.starts_with('=')
        && !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$'))
    .then_some(name)
}

/// Whether `name` occurs in `line` as a whole identifier.
pub(crate) fn mentions(line: &str, name: &str) -> bool {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    line.match_indices(name).any(|(at, _)| {
        !line[..at].ends_with(is_ident)
            && !line[at + name.len()..].starts_with(is_ident)
            && !line[..at].ends_with('.')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn javascript_reads_declarations_and_mentions() {
        let code = code(r#"core.info(`token: ${encoded} for ${process.env['USER_NAME']}`, "process.env.X")"#);
        assert!(mentions(&code, "encoded") && !mentions(&code, "token"), "{code}");
        assert_eq!(env_reads(&code), ["USER_NAME"]);
        assert_eq!(env_reads("const t = process.env.DEPLOY_TOKEN || ''"), ["DEPLOY_TOKEN"]);
        assert_eq!(declared("  const encoded = Buffer.from(t)"), Some("encoded"));
        assert_eq!(declared("if (a == b) {}"), None);
        assert!(!mentions("obj.token + tokens", "token"));
    }
}
