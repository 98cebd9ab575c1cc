//! Name patterns for `export --groups/--roles/--licenses`: `*` matches any run of characters,
//! `?` any one character; everything else is literal. Matching ignores case, like every name
//! comparison in coupa-access.

/// A compiled name pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    written: String,
    chars: Vec<char>,
}

impl Glob {
    /// A pattern as written (no syntax can be wrong: only `*` and `?` are special).
    pub fn new(pattern: &str) -> Glob {
        Glob {
            written: pattern.to_string(),
            chars: pattern.to_lowercase().chars().collect(),
        }
    }

    /// The pattern as written, for messages.
    pub fn as_str(&self) -> &str {
        &self.written
    }

    /// True when `name` matches the whole pattern, ignoring case.
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.to_lowercase().chars().collect();
        let p = &self.chars;
        // Iterative wildcard match with one backtrack point: linear in practice, never
        // exponential on hostile patterns.
        let (mut pi, mut ni) = (0, 0);
        let mut star: Option<(usize, usize)> = None;
        while ni < name.len() {
            match p.get(pi) {
                Some('*') => {
                    star = Some((pi, ni));
                    pi += 1;
                }
                Some(&c) if c == '?' || c == name[ni] => {
                    pi += 1;
                    ni += 1;
                }
                _ => match star {
                    Some((sp, sn)) => {
                        pi = sp + 1;
                        ni = sn + 1;
                        star = Some((sp, sn + 1));
                    }
                    None => return false,
                },
            }
        }
        p[pi..].iter().all(|&c| c == '*')
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn stars_questions_and_case() {
        let g = Glob::new("AP *");
        assert!(g.matches("AP Clerks"));
        assert!(g.matches("ap managers"));
        assert!(!g.matches("Approvers"));
        assert!(Glob::new("*").matches(""));
        assert!(Glob::new("*").matches("anything at all"));
        assert!(Glob::new("b?yer*").matches("Buyers"));
        assert!(!Glob::new("b?yer").matches("Buyers"));
        assert!(Glob::new("*a*b*c*").matches("xxaxxbxxcxx"));
        assert!(!Glob::new("*a*b*c*").matches("xxaxxcxxbxx"));
        assert!(Glob::new("exact").matches("EXACT"));
        assert!(!Glob::new("exact").matches("exactly"));
        assert_eq!(Glob::new("A*").as_str(), "A*");
    }
}
