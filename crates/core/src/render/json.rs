use crate::model::Plan;

/// The plan as pretty JSON (format version 1), keys in a stable order, ending in a newline.
/// A `Plan` holds no secrets, so everything in it is written.
pub fn json(plan: &Plan) -> String {
    // Plan is plain data with string map keys: serialising it cannot fail.
    let mut out = serde_json::to_string_pretty(plan).expect("a Plan always serialises to JSON");
    out.push('\n');
    out
}
