use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::validation::ValidationError;

const MIN_PASSWORD_CHARS: usize = 8;
const MAX_PASSWORD_CHARS: usize = 128;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_NAME_CHARS: usize = 100;
const MAX_IMAGE_CHARS: usize = 2048;

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    #[serde(rename = "emailVerified")]
    pub email_verified: bool,
    pub image: Option<String>,
    #[serde(rename = "createdAt")]
    pub created_at: DateTime<Utc>,
    #[serde(rename = "updatedAt")]
    pub updated_at: DateTime<Utc>,
}

/// Body of `POST /api/auth/sign-up/email`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SignUp {
    #[schema(example = "ada@example.com", format = Email, max_length = 254)]
    pub email: String,
    /// 8–128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// Display name; defaults to the part of the email before the `@`.
    #[serde(default)]
    #[schema(max_length = 100, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default)]
    #[schema(max_length = 2048, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub image: Option<String>,
}

/// Body of `POST /api/auth/sign-in/email`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// Sign-up data after validation: a normalised email and a display name.
#[derive(Debug, Clone, PartialEq)]
pub struct Credentials {
    pub email: String,
    pub name: String,
    pub image: Option<String>,
}

/// Emails compare case-insensitively, so they are stored trimmed and lower-cased.
pub fn normalize_email(raw: &str) -> String {
    raw.trim().to_lowercase()
}

fn plausible_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.chars().count() <= MAX_EMAIL_CHARS
}

impl SignIn {
    /// The normalised email to look up, or `None` when it cannot belong to any account.
    pub fn email(&self) -> Option<String> {
        let email = normalize_email(&self.email);
        plausible_email(&email).then_some(email)
    }
}

/// A user id as one URL path segment. Ids from an external issuer can hold anything, so all but
/// letters, digits, `-`, `_` and `~` is percent-encoded, `.` and `/` included: no id reads as `..`
/// or as more than one segment.
pub fn user_id_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The passwords of at least 8 characters among the 10,000 most common in leaked password lists (the
/// frequency list zxcvbn ships), lower-cased, one a line: NIST SP 800-63B asks new passwords to be
/// checked against such a list.
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Whether `password` is on the common-password list, ignoring case.
fn is_common_password(password: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| COMMON_PASSWORDS.lines().collect());
    list.contains(password.to_lowercase().as_str())
}

impl SignUp {
    pub fn validate(&self) -> Result<Credentials, ValidationError> {
        let mut e = ValidationError::default();
        let email = normalize_email(&self.email);
        if !plausible_email(&email) {
            e.add("email", "must be an email address like ada@example.com");
        }
        let n = self.password.chars().count();
        if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
            e.add(
                "password",
                format!("must be {MIN_PASSWORD_CHARS}–{MAX_PASSWORD_CHARS} characters"),
            );
        } else if is_common_password(&self.password) {
            e.add(
                "password",
                "is one of the most common passwords, which attackers try first; choose another",
            );
        }
        let name = self.name.as_deref().map(str::trim).unwrap_or_default();
        if name.chars().count() > MAX_NAME_CHARS {
            e.add(
                "name",
                format!("must be at most {MAX_NAME_CHARS} characters"),
            );
        } else if name.chars().any(char::is_control) {
            e.add("name", "must not contain control characters");
        }
        let image = self
            .image
            .as_deref()
            .map(str::trim)
            .filter(|i| !i.is_empty());
        if image
            .is_some_and(|i| i.chars().count() > MAX_IMAGE_CHARS || i.chars().any(char::is_control))
        {
            e.add(
                "image",
                format!("must be a URL of at most {MAX_IMAGE_CHARS} characters"),
            );
        }
        // Without a name, greet people by the part of their address before the @.
        let name = if name.is_empty() {
            email.split('@').next().unwrap_or_default()
        } else {
            name
        };
        let creds = Credentials {
            name: name.to_owned(),
            email,
            image: image.map(str::to_owned),
        };
        e.into_result(creds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_up_normalises_and_names_bad_fields() {
        let s = SignUp {
            email: " Ada@Example.COM ".into(),
            password: "correct horse".into(),
            name: None,
            image: None,
        };
        let c = s.validate().unwrap();
        assert_eq!(
            (c.email.as_str(), c.name.as_str()),
            ("ada@example.com", "ada")
        );
        let s = SignUp {
            email: "nope".into(),
            password: "short".into(),
            name: None,
            image: None,
        };
        let e = s.validate().unwrap_err();
        assert!(e.fields.contains_key("email") && e.fields.contains_key("password"));
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "password",
            "12345678",
            "PassWord1",
            "iloveyou",
            "QWERTYUIOP",
        ] {
            let s = SignUp {
                email: "ada@example.com".into(),
                password: common.into(),
                name: None,
                image: None,
            };
            let e = s.validate().unwrap_err();
            assert!(e.fields["password"].contains("most common"), "{common}");
        }
        let fine = SignUp {
            email: "ada@example.com".into(),
            password: "correct horse battery".into(),
            name: None,
            image: None,
        };
        assert!(fine.validate().is_ok());
    }

    #[test]
    fn user_ids_stay_one_segment() {
        assert_eq!(user_id_segment("abc-DEF_1~"), "abc-DEF_1~");
        assert_eq!(user_id_segment(".."), "%2E%2E");
        assert_eq!(user_id_segment("a/../b c+é"), "a%2F%2E%2E%2Fb%20c%2B%C3%A9");
    }
}
