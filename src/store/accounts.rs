//! Accounts, roles and sign-in sessions. Passwords are stored as argon2
//! hashes; session tokens are random and only their SHA-256 is stored, so a
//! copy of the database signs nobody in.

use super::sql::{params, OptionalExt, Row};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;

use super::{now, Error, Result, Store};
use crate::articles::hash_hex;

/// What an account may do. Each role includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Writes and reviews articles.
    Agent,
    /// Also assigns work and reads reports.
    Lead,
    /// Also manages accounts.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Lead => "lead",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "agent" => Some(Role::Agent),
            "lead" => Some(Role::Lead),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// A person who signs in to the agent workspace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
}

/// A signed-in session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub account: Account,
    /// The token forms must echo back (CSRF protection).
    pub csrf: String,
}

/// How long a session lasts.
const SESSION_DAYS: i64 = 14;
const MIN_PASSWORD: usize = 10;

fn account(row: &Row) -> super::sql::Result<Account> {
    let role: String = row.get("role")?;
    Ok(Account {
        id: row.get("id")?,
        name: row.get("name")?,
        email: row.get("email")?,
        role: Role::parse(&role).unwrap_or(Role::Agent),
        disabled: row.get::<i64>("disabled")? != 0,
        created_at: row.get("created_at")?,
    })
}

const ACCOUNT_COLUMNS: &str = "id, name, email, role, disabled, created_at";

/// A random token, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Creates an account; the name and email must be new.
    pub fn create_account(
        &self,
        name: &str,
        email: &str,
        role: Role,
        password: &str,
    ) -> Result<Account> {
        let name = name.trim();
        let email = email.trim();
        if name.is_empty() || name.len() > 64 || name.contains(char::is_whitespace) {
            return Err(Error::Invalid(
                "the name must be one word of up to 64 characters".into(),
            ));
        }
        if !email.contains('@') || email.len() > 254 {
            return Err(Error::Invalid(format!("`{email}` is not an email address")));
        }
        if password.chars().count() < MIN_PASSWORD {
            return Err(Error::Invalid(format!(
                "the password must have at least {MIN_PASSWORD} characters"
            )));
        }
        let salt = SaltString::generate(&mut OsRng);
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| Error::Hash(e.to_string()))?
            .to_string();
        self.write(|tx| {
            let taken: Option<String> = tx
                .query_row(
                    "SELECT name FROM accounts WHERE lower(name) = lower(?1) OR lower(email) = lower(?2)",
                    params![name, email],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(existing) = taken {
                return Err(Error::Conflict(format!("an account with that name or email exists already ({existing})")));
            }
            let id = tx.insert(
                "INSERT INTO accounts (name, email, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![name, email, role.as_str(), hash, now()],
            )?;
            Store::audit(tx, None, "account.create", name, role.as_str())?;
            Ok(tx.query_row(&format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"), [id], account)?)
        })
    }

    /// Every account, by name.
    pub fn accounts(&self) -> Result<Vec<Account>> {
        self.read(|c| {
            let rows = c.query_map(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY name"),
                (),
                account,
            )?;
            Ok(rows)
        })
    }

    /// The account called `name` (or with that email).
    pub fn account_by_name(&self, name: &str) -> Result<Option<Account>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(name) = lower(?1) OR lower(email) = lower(?1)"),
                [name.trim()],
                account,
            )
            .optional()?)
        })
    }

    /// The account with this id.
    pub fn account(&self, id: i64) -> Result<Option<Account>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = ?1"),
                [id],
                account,
            )
            .optional()?)
        })
    }

    /// Disables an account and ends its sessions.
    pub fn disable_account(&self, name: &str, by: Option<i64>) -> Result<Account> {
        self.write(|tx| {
            let acc = tx
                .query_row(
                    &format!(
                        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE lower(name) = lower(?1)"
                    ),
                    [name],
                    account,
                )
                .optional()?
                .ok_or_else(|| Error::NotFound(format!("no account named `{name}`")))?;
            tx.execute("UPDATE accounts SET disabled = 1 WHERE id = ?1", [acc.id])?;
            tx.execute("DELETE FROM sessions WHERE account_id = ?1", [acc.id])?;
            Store::audit(tx, by, "account.disable", name, "")?;
            Ok(Account {
                disabled: true,
                ..acc
            })
        })
    }

    /// The enabled account whose name or email and password match.
    pub fn verify_password(&self, name: &str, password: &str) -> Result<Option<Account>> {
        let found: Option<(Account, String)> = self.read(|c| {
            Ok(c.query_row(
                &format!("SELECT {ACCOUNT_COLUMNS}, password_hash FROM accounts WHERE lower(name) = lower(?1) OR lower(email) = lower(?1)"),
                [name.trim()],
                |r| Ok((account(r)?, r.get::<String>("password_hash")?)),
            )
            .optional()?)
        })?;
        let Some((acc, hash)) = found else {
            // Spend the same time as a real check, so timing reveals no names.
            let _ = Argon2::default()
                .hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng));
            return Ok(None);
        };
        let parsed = PasswordHash::new(&hash).map_err(|e| Error::Hash(e.to_string()))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok((ok && !acc.disabled).then_some(acc))
    }

    /// Starts a session; returns the cookie token.
    pub fn create_session(&self, account_id: i64) -> Result<String> {
        let token = random_token();
        let expires = super::stamp(chrono::Utc::now() + chrono::Duration::days(SESSION_DAYS));
        self.write(|tx| {
            tx.execute(
                "INSERT INTO sessions (token_hash, account_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![hash_hex(token.as_bytes()), account_id, random_token(), now(), expires],
            )?;
            tx.execute("DELETE FROM sessions WHERE expires_at < ?1", [now()])?;
            Ok(())
        })?;
        Ok(token)
    }

    /// The live session of a cookie token (expired and disabled ones are none).
    pub fn session(&self, token: &str) -> Result<Option<Session>> {
        self.read(|c| {
            Ok(c.query_row(
                &format!(
                    "SELECT a.{}, s.csrf FROM sessions s JOIN accounts a ON a.id = s.account_id
                     WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND a.disabled = 0",
                    ACCOUNT_COLUMNS.replace(", ", ", a.")
                ),
                params![hash_hex(token.as_bytes()), now()],
                |r| {
                    Ok(Session {
                        account: account(r)?,
                        csrf: r.get("csrf")?,
                    })
                },
            )
            .optional()?)
        })
    }

    /// Ends a session.
    pub fn delete_session(&self, token: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "DELETE FROM sessions WHERE token_hash = ?1",
                [hash_hex(token.as_bytes())],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("db.sqlite")).unwrap();
        (dir, store)
    }

    #[test]
    fn accounts_passwords_and_sessions() {
        let (_dir, store) = store();
        let ana = store
            .create_account(
                "ana",
                "ana@example.com",
                Role::Agent,
                "correct horse battery",
            )
            .unwrap();
        assert!(matches!(
            store.create_account("ANA", "x@example.com", Role::Agent, "correct horse battery"),
            Err(Error::Conflict(_))
        ));
        assert!(matches!(
            store.create_account("bo", "bo@example.com", Role::Agent, "short"),
            Err(Error::Invalid(_))
        ));
        let hash: String = store
            .read(|c| {
                Ok(c.query_row("SELECT password_hash FROM accounts", (), |r| {
                    r.get::<String>(0)
                })?)
            })
            .unwrap();
        assert!(hash.starts_with("$argon2"), "stored hashed: {hash}");

        assert_eq!(
            store
                .verify_password("ana", "correct horse battery")
                .unwrap(),
            Some(ana.clone())
        );
        assert_eq!(
            store
                .verify_password("ana@example.com", "correct horse battery")
                .unwrap(),
            Some(ana.clone())
        );
        assert_eq!(
            store.verify_password("ana", "wrong password!!").unwrap(),
            None
        );
        assert_eq!(
            store
                .verify_password("nobody", "correct horse battery")
                .unwrap(),
            None
        );

        let token = store.create_session(ana.id).unwrap();
        let session = store.session(&token).unwrap().unwrap();
        assert_eq!(session.account.name, "ana");
        assert_eq!(session.csrf.len(), 64);
        assert!(store.session("forged").unwrap().is_none());

        store.disable_account("ana", None).unwrap();
        assert!(
            store.session(&token).unwrap().is_none(),
            "disabling ends sessions"
        );
        assert_eq!(
            store
                .verify_password("ana", "correct horse battery")
                .unwrap(),
            None
        );
    }
}
