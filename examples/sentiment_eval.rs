//! The review sentiment benchmark (`./scripts/bench-sentiment`): scores every review of
//! `tests/data/sentiment.jsonl` and prints, for the dev half (even lines, counting from 0, used to
//! tune the lexicon) and the held-out half (odd lines, never tuned on), accuracy, per-class
//! precision/recall/F1, accuracy per language, the confusion matrix and the aspects' figures.
//! Then both halves again with every Vietnamese mark removed ("Áo đẹp" → "ao dep"), which
//! the scorer reads by folded forms. `--errors dev` (or `held-out`, `dev-bare`, `held-out-bare`) also lists the misread
//! reviews of that half.

use serde::Deserialize;
use vestify::domain::search::fold;
use vestify::domain::sentiment::{analyze, Aspect, Label};

#[derive(Deserialize)]
struct Review {
    text: String,
    lang: String,
    label: String,
    #[serde(default)]
    aspects: Vec<AspectLabel>,
}

#[derive(Deserialize)]
struct AspectLabel {
    aspect: String,
    label: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let show_errors = args.iter().position(|a| a == "--errors").and_then(|i| args.get(i + 1)).cloned();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/sentiment.jsonl");
    let data = match std::fs::read_to_string(path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot read {path}: {e}");
            std::process::exit(2);
        }
    };
    let mut reviews = Vec::new();
    for (n, line) in data.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        match serde_json::from_str::<Review>(line) {
            Ok(r) if Label::parse(&r.label).is_some() => reviews.push(r),
            _ => {
                eprintln!("{path}:{}: not a labelled review", n + 1);
                std::process::exit(2);
            }
        }
    }
    let dev: Vec<&Review> = reviews.iter().step_by(2).collect();
    let held_out: Vec<&Review> = reviews.iter().skip(1).step_by(2).collect();
    println!("Review sentiment on {path}: {} reviews ({} Vietnamese, {} English)", reviews.len(), count(&reviews, "vi"), count(&reviews, "en"));
    let mut ok = true;
    for (name, half) in [("dev", &dev), ("held-out", &held_out)] {
        ok &= report(name, half, show_errors.as_deref() == Some(name));
    }
    // The same reviews typed without marks (as many shoppers type): read by folded forms.
    for (name, half) in [("dev-bare", &dev), ("held-out-bare", &held_out)] {
        let bare: Vec<Review> = half.iter().map(|r| without_marks(r)).collect();
        report(name, &bare.iter().collect::<Vec<_>>(), show_errors.as_deref() == Some(name));
    }
    if !ok {
        println!("\nBelow the 0.85 accuracy target.");
    }
}

fn without_marks(r: &Review) -> Review {
    let aspects = r.aspects.iter().map(|a| AspectLabel { aspect: a.aspect.clone(), label: a.label.clone() }).collect();
    Review { text: fold(&r.text), lang: r.lang.clone(), label: r.label.clone(), aspects }
}

fn count(reviews: &[Review], lang: &str) -> usize {
    reviews.iter().filter(|r| r.lang == lang).count()
}

fn report(name: &str, half: &[&Review], show_errors: bool) -> bool {
    let mut confusion = [[0usize; 3]; 3]; // [truth][predicted], in Label::ALL order
    let mut by_lang: Vec<(String, usize, usize)> = Vec::new();
    let (mut aspect_truth, mut aspect_found, mut aspect_hit, mut aspect_polarity_ok) = (0, 0, 0, 0);
    let mut errors = Vec::new();
    for r in half {
        let truth = Label::parse(&r.label).unwrap_or(Label::Neutral);
        let got = analyze(&r.text);
        confusion[index(truth)][index(got.label)] += 1;
        let lang = match by_lang.iter_mut().find(|(l, _, _)| *l == r.lang) {
            Some(entry) => entry,
            None => {
                by_lang.push((r.lang.clone(), 0, 0));
                by_lang.last_mut().unwrap_or_else(|| unreachable!())
            }
        };
        lang.1 += 1;
        if truth == got.label {
            lang.2 += 1;
        } else {
            errors.push(format!("  [{} → {}] {:+.3} {}", truth.code(), got.label.code(), got.score, r.text));
        }
        aspect_truth += r.aspects.len();
        aspect_found += got.aspects.len();
        for expected in &r.aspects {
            let Some(aspect) = Aspect::parse(&expected.aspect) else { continue };
            if let Some(found) = got.aspects.iter().find(|a| a.aspect == aspect) {
                aspect_hit += 1;
                if Some(found.label) == Label::parse(&expected.label) {
                    aspect_polarity_ok += 1;
                }
            }
        }
    }
    let total = half.len();
    let correct: usize = (0..3).map(|i| confusion[i][i]).sum();
    let accuracy = ratio(correct, total);
    println!("\n== {name}: {total} reviews, accuracy {accuracy:.3} ({correct}/{total})");
    for (lang, n, ok) in &by_lang {
        println!("   {lang}: accuracy {:.3} ({ok}/{n})", ratio(*ok, *n));
    }
    println!("   {:<9} {:>9} {:>7} {:>7} {:>7}", "class", "precision", "recall", "F1", "support");
    let mut f1_sum = 0.0;
    for (i, label) in Label::ALL.iter().enumerate() {
        let tp = confusion[i][i];
        let predicted: usize = (0..3).map(|t| confusion[t][i]).sum();
        let actual: usize = confusion[i].iter().sum();
        let (p, r) = (ratio(tp, predicted), ratio(tp, actual));
        let f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        f1_sum += f1;
        println!("   {:<9} {p:>9.3} {r:>7.3} {f1:>7.3} {actual:>7}", label.code());
    }
    println!("   macro F1 {:.3}", f1_sum / 3.0);
    println!("   confusion (rows: truth, columns: predicted)");
    println!("   {:<9} {:>8} {:>8} {:>8}", "", "positive", "neutral", "negative");
    for (i, label) in Label::ALL.iter().enumerate() {
        println!("   {:<9} {:>8} {:>8} {:>8}", label.code(), confusion[i][0], confusion[i][1], confusion[i][2]);
    }
    println!(
        "   aspects: {aspect_hit} of {aspect_truth} labelled found (recall {:.3}), {aspect_found} tagged (precision {:.3}), polarity right on {aspect_polarity_ok} of {aspect_hit} found ({:.3})",
        ratio(aspect_hit, aspect_truth),
        ratio(aspect_hit, aspect_found),
        ratio(aspect_polarity_ok, aspect_hit)
    );
    if show_errors {
        println!("   misread:");
        for e in &errors {
            println!("{e}");
        }
    }
    accuracy >= 0.85
}

fn index(label: Label) -> usize {
    Label::ALL.iter().position(|l| *l == label).unwrap_or(1)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}
