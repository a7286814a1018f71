//! Kubernetes resource quantities (`500m`, `1Gi`, `2e3`) and Datree's `resourceMinimum` /
//! `resourceMaximum` schema keywords built on them.
//!
//! A quantity is an optionally signed decimal number followed by at most one suffix: a binary
//! one (`Ki Mi Gi Ti Pi Ei`), a decimal one (`n u m k M G T P E`), or a decimal exponent
//! (`e3`, `E-2`). Values are compared as `f64`, enough to order the thresholds policies use.

use jsonschema::{Keyword, ValidationError};
use serde_json::{Map, Value};

/// The value of a quantity, or `None` when the text is not one.
pub fn parse(text: &str) -> Option<f64> {
    let t = text.trim();
    let (sign, rest) = match t.strip_prefix('-') {
        Some(r) => (-1.0, r),
        None => (1.0, t.strip_prefix('+').unwrap_or(t)),
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(end);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return None;
    }
    let base: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        s => {
            let exp = s.strip_prefix(['e', 'E'])?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let e: i32 = exp.parse().ok()?;
            10f64.powi(e)
        }
    };
    let v = sign * base * factor;
    v.is_finite().then_some(v)
}

/// The value of a JSON instance read as a quantity: a string in quantity syntax or a number.
fn of_value(v: &Value) -> Option<Option<f64>> {
    match v {
        Value::String(s) => Some(parse(s)),
        Value::Number(n) => Some(n.as_f64()),
        _ => None,
    }
}

/// `resourceMinimum` (`min: true`) or `resourceMaximum`: the instance, when it is a string or a
/// number, must be a quantity at least (at most) the bound. Other types pass, as JSON Schema's
/// type-specific keywords do.
struct Bound {
    limit: f64,
    written: String,
    min: bool,
}

impl Bound {
    fn check(&self, instance: &Value) -> Result<(), String> {
        match of_value(instance) {
            None => Ok(()),
            Some(None) => Err(format!("{instance} is not a Kubernetes quantity")),
            Some(Some(v)) if self.min && v < self.limit => Err(format!(
                "{instance} is less than the minimum of {}",
                self.written
            )),
            Some(Some(v)) if !self.min && v > self.limit => Err(format!(
                "{instance} is more than the maximum of {}",
                self.written
            )),
            Some(Some(_)) => Ok(()),
        }
    }
}

impl<'i> Keyword<'i> for Bound {
    fn validate(&self, instance: &'i Value) -> Result<(), ValidationError<'i>> {
        self.check(instance).map_err(ValidationError::custom)
    }

    fn is_valid(&self, instance: &'i Value) -> bool {
        self.check(instance).is_ok()
    }
}

/// The factory of one of the two keywords, for `ValidationOptions::with_keyword`: the keyword's
/// value must itself be a quantity, or the schema does not compile.
pub fn factory<'a>(
    min: bool,
    value: &'a Value,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    let name = if min {
        "resourceMinimum"
    } else {
        "resourceMaximum"
    };
    let written = match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => {
            return Err(ValidationError::schema(format!(
                "{name} must be a Kubernetes quantity such as \"500m\" or \"1Gi\", not {other}"
            )))
        }
    };
    let Some(limit) = parse(&written) else {
        return Err(ValidationError::schema(format!(
            "{name} {written:?} is not a Kubernetes quantity (such as \"500m\" or \"1Gi\")"
        )));
    };
    Ok(Box::new(Bound {
        limit,
        written,
        min,
    }))
}

/// Unused parent map parameter kept out of the factories' signatures.
pub fn min_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    factory(true, value)
}

pub fn max_factory<'a>(
    _parent: &'a Map<String, Value>,
    value: &'a Value,
    _path: jsonschema::paths::Location,
) -> Result<Box<dyn for<'i> Keyword<'i>>, ValidationError<'a>> {
    factory(false, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_parse_as_kubernetes_reads_them() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("1Gi"), Some(1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("1.5k"), Some(1500.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("-1"), Some(-1.0));
        assert_eq!(parse("128974848"), Some(128_974_848.0));
        assert_eq!(parse("129M"), Some(129e6));
        for bad in ["", "m", "1Gb", "1..2", "abc", "1e", "1 Gi", "."] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn bounds_compare_quantities_and_pass_other_types() {
        let min = Bound {
            limit: 0.25,
            written: "250m".into(),
            min: true,
        };
        assert!(min.check(&Value::from("500m")).is_ok());
        assert!(min.check(&Value::from("100m")).is_err());
        assert!(min.check(&Value::from(1)).is_ok());
        assert!(min.check(&Value::from("lots")).is_err());
        assert!(min.check(&Value::Bool(true)).is_ok());
        let max = Bound {
            limit: 1024.0 * 1024.0 * 1024.0,
            written: "1Gi".into(),
            min: false,
        };
        assert!(max.check(&Value::from("512Mi")).is_ok());
        assert!(max.check(&Value::from("2Gi")).is_err());
    }
}
