//! Passwords for encrypted keys: given on the command line or prompted for,
//! and the hint naming the flags that give one.
//!
//! Prompts go to the terminal without echo; without a terminal (a script
//! piping the password in), the password is the first line of standard input.

use std::io::BufRead as _;

use anyhow::Context as _;

/// Asks for a password.
pub(crate) fn prompt(what: &str) -> anyhow::Result<Vec<u8>> {
    read(&format!("Enter password for {what}: "))
}

/// Asks for a new password, twice when on a terminal.
pub(crate) fn prompt_new(what: &str) -> anyhow::Result<Vec<u8>> {
    let first = read(&format!("Enter a password for {what}: "))?;
    if std::fs::File::open("/dev/tty").is_ok() {
        let second = read("Repeat the password: ")?;
        anyhow::ensure!(first == second, "the passwords differ");
    }
    Ok(first)
}

fn read(prompt: &str) -> anyhow::Result<Vec<u8>> {
    match rpassword::prompt_password(prompt) {
        Ok(p) => Ok(p.into_bytes()),
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("cannot read the password: no terminal, and standard input failed")?;
            Ok(line.trim_end_matches(['\n', '\r']).as_bytes().to_vec())
        }
    }
}

/// A key-reading error, with the flags that give a password when the key
/// is encrypted and none was given (`flags`: how this command takes one).
pub(crate) fn with_password_hint(err: intoto::fs::FileError, flags: &str) -> anyhow::Error {
    match &err {
        intoto::fs::FileError::Key {
            path,
            source: intoto::crypto::KeyError::PasswordRequired,
        } => anyhow::anyhow!(
            "{}: the private key is encrypted; give its password with {flags}",
            path.display()
        ),
        _ => anyhow::Error::new(err),
    }
}
