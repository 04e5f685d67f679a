//! Charts drawn as inline SVG on the server: no script, no CDN. Stacked bars for what ended
//! in each step (succeeded, released, timed out, failed) and a line for a quantile.

use super::super::health::Point;
use super::layout::{ms, raw};
use maud::Markup;
use std::fmt::Write;

const W: f64 = 300.0;
const H: f64 = 72.0;

fn instant(at_ms: i64) -> String {
    crate::clock::format_rfc3339(at_ms)
        .get(..16)
        .unwrap_or("")
        .replace('T', " ")
}

/// Throughput: one stacked bar per step.
pub fn bars(points: &[Point]) -> Markup {
    let max = points
        .iter()
        .map(|p| p.succeeded + p.failed + p.released + p.timed_out)
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let n = points.len().max(1) as f64;
    let slot = W / n;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" preserveAspectRatio="none" role="img" aria-label="jobs ended per step">"#
    );
    for (i, p) in points.iter().enumerate() {
        let x = i as f64 * slot + slot * 0.1;
        let w = (slot * 0.8).max(0.5);
        let mut y = H;
        let total = p.succeeded + p.failed + p.released + p.timed_out;
        let _ = write!(
            svg,
            "<g><title>{}: {} succeeded, {} failed, {} released, {} timed out</title>",
            instant(p.at_ms),
            p.succeeded,
            p.failed,
            p.released,
            p.timed_out
        );
        if total == 0 {
            let _ = write!(
                svg,
                r##"<rect x="{x:.2}" y="{:.2}" width="{w:.2}" height="1" fill="#e5e7eb"/>"##,
                H - 1.0
            );
        }
        for (n, color) in [
            (p.succeeded, "var(--ok-bar)"),
            (p.released, "var(--rel-bar)"),
            (p.timed_out, "var(--to-bar)"),
            (p.failed, "var(--fail-bar)"),
        ] {
            if n == 0 {
                continue;
            }
            let h = n as f64 / max * (H - 4.0);
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{x:.2}" y="{y:.2}" width="{w:.2}" height="{h:.2}" fill="{color}"/>"#
            );
        }
        svg.push_str("</g>");
    }
    svg.push_str("</svg>");
    raw(svg)
}

/// A line of one value per step, scaled to its maximum (which `max_of` gives for the title).
pub fn line(points: &[Point], pick: fn(&Point) -> Option<f64>, color: &str) -> Markup {
    let max = points
        .iter()
        .filter_map(pick)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let n = points.len().max(1) as f64;
    let slot = W / n;
    let mut svg = format!(
        r#"<svg viewBox="0 0 {W} {H}" preserveAspectRatio="none" role="img" aria-label="quantile per step">"#
    );
    // One line through the steps that have a value (a quiet step is no point, not a zero).
    let mut run = String::new();
    let mut dots = String::new();
    for (i, p) in points.iter().enumerate() {
        let x = i as f64 * slot + slot / 2.0;
        if let Some(v) = pick(p) {
            let y = H - 3.0 - v / max * (H - 8.0);
            let _ = write!(run, "{x:.2},{y:.2} ");
            let _ = write!(
                dots,
                r#"<rect x="{:.2}" y="{:.2}" width="{:.2}" height="3" fill="{color}" opacity=".9"><title>{}: {}</title></rect>"#,
                x - slot * 0.3,
                y - 1.5,
                slot * 0.6,
                instant(p.at_ms),
                ms(Some(v))
            );
        }
    }
    let _ = write!(
        svg,
        r#"<polyline points="{run}" fill="none" stroke="{color}" stroke-width="1.5" stroke-opacity=".55" vector-effect="non-scaling-stroke"/>{dots}"#
    );
    svg.push_str("</svg>");
    raw(svg)
}

/// The largest value a line chart shows (its scale), for the chart's title.
pub fn max_of(points: &[Point], pick: fn(&Point) -> Option<f64>) -> Option<f64> {
    points.iter().filter_map(pick).reduce(f64::max)
}
