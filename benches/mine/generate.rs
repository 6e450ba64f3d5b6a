//! The bench's ticket generator: N tickets made by recombining real
//! BANKING77 messages with the noise real help-desk exports carry —
//! greetings, sign-offs and signatures, quoted replies, order numbers,
//! emails and phone numbers, HTML, typos and shouting — spread over 26
//! weeks, written as a Zendesk-style CSV. Seeded: the same N and seed give
//! the same file.

use std::path::Path;

use deflect::mining::rng::Rng;

const GREETINGS: &[&str] = &[
    "Hi,\n",
    "Hello team,\n",
    "Hi there! ",
    "Dear Support,\n",
    "Good morning, ",
    "Hey, ",
    "Hello,\n\n",
];
const SIGN_OFFS: &[&str] = &[
    "\n\nThanks,\nAnna Kowalski",
    "\nThank you!",
    "\n\nKind regards\nJohn Smith\nSenior Accountant | ACME Ltd\n+44 20 7946 0958",
    "\n\nSent from my iPhone",
    "\n--\nMaria Garcia\nmaria.garcia@example.com",
    " Thanks in advance, Tom",
    "\n\nCheers,\nLee",
];
const NAMES: &[&str] = &["jane", "li.wei", "omar.h", "p.novak", "sam99", "k.tanaka"];

/// Writes `n` tickets to `path`.
pub fn write_tickets(path: &Path, messages: &[String], n: usize, seed: u64) -> std::io::Result<()> {
    let mut rng = Rng::new(seed);
    let file = std::fs::File::create(path)?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    out.write_record([
        "Id",
        "Subject",
        "Description",
        "Status",
        "Created at",
        "Tags",
    ])?;
    for i in 0..n {
        let text = rng.pick(messages).clone();
        let body = noisy(&text, messages, &mut rng);
        // Web-form tickets repeat the first words as the subject.
        let subject = if rng.chance(0.3) {
            text.split_whitespace()
                .take(5)
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            String::new()
        };
        let day = rng.below(26 * 7) as u64;
        let date =
            chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + chrono::Days::new(day);
        out.write_record([
            format!("{}", 100_000 + i),
            subject,
            body,
            "solved".to_string(),
            format!("{date}T{:02}:{:02}:00Z", rng.below(24), rng.below(60)),
            "web".to_string(),
        ])?;
    }
    out.flush()?;
    Ok(())
}

fn noisy(text: &str, messages: &[String], rng: &mut Rng) -> String {
    let mut body = String::new();
    if rng.chance(0.5) {
        let greeting: &&str = rng.pick(GREETINGS);
        body.push_str(greeting);
    }
    let mut core = if rng.chance(0.3) {
        typo(text, rng)
    } else {
        text.to_string()
    };
    if rng.chance(0.05) {
        core = core.to_uppercase();
    }
    if rng.chance(0.2) {
        let order = match rng.below(3) {
            0 => format!(" Order #{}", 10_000 + rng.below(90_000)),
            1 => format!(" (ref ORD-{})", 100_000 + rng.below(900_000)),
            _ => format!(
                " My card number is 4111 1111 1111 {:04}.",
                rng.below(10_000)
            ),
        };
        core.push_str(&order);
    }
    if rng.chance(0.1) {
        core.push_str(&format!(
            " You can reach me at {}@example.com or +1 555 {:03} {:04}.",
            rng.pick(NAMES),
            rng.below(1000),
            rng.below(10_000)
        ));
    }
    if rng.chance(0.05) {
        core = format!("<p>{core}</p>");
    }
    body.push_str(&core);
    if rng.chance(0.4) {
        let sign_off: &&str = rng.pick(SIGN_OFFS);
        body.push_str(sign_off);
    }
    if rng.chance(0.2) {
        body.push_str(&format!(
            "\n\nOn Mon, 3 Jun 2024 at 10:{:02}, Support <help@bank.example> wrote:\n> {}\n> Kind regards, the support team",
            rng.below(60),
            rng.pick(messages)
        ));
    }
    body
}

/// One typo in one word of five letters or more: a letter dropped, doubled,
/// swapped with the next or replaced.
fn typo(text: &str, rng: &mut Rng) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let long: Vec<usize> = (0..words.len())
        .filter(|&i| words[i].chars().count() >= 5 && words[i].chars().all(char::is_alphabetic))
        .collect();
    if long.is_empty() {
        return text.to_string();
    }
    let w = *rng.pick(&long);
    let mut chars: Vec<char> = words[w].chars().collect();
    let at = 1 + rng.below(chars.len() - 2);
    match rng.below(4) {
        0 => {
            chars.remove(at);
        }
        1 => chars.insert(at, chars[at]),
        2 => chars.swap(at, at + 1),
        _ => chars[at] = (b'a' + rng.below(26) as u8) as char,
    }
    let mut out: Vec<String> = words.iter().map(|s| s.to_string()).collect();
    out[w] = chars.into_iter().collect();
    out.join(" ")
}
