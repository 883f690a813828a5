//! Data messages (types 18 and 15): AMF0 values such as `onMetaData`,
//! AMF3 ones behind an AVM+ switch.

use crate::amf0::Value;

/// A data message: a list of AMF0 values, usually a handler name first.
///
/// ```
/// use wirestate_rtmp::amf0::Value;
/// use wirestate_rtmp::message::DataMessage;
///
/// // What FFmpeg publishes: @setDataFrame, onMetaData, an ECMA array.
/// let meta = Value::EcmaArray(vec![("width".into(), 640.0.into())]);
/// let data = DataMessage { amf3: false, values: vec!["@setDataFrame".into(), "onMetaData".into(), meta.clone()] };
/// assert_eq!(data.name(), Some("@setDataFrame"));
/// assert_eq!(data.metadata(), Some(&meta));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DataMessage {
    /// Whether it came as type 15 (AMF3 data message: a format byte, then
    /// AMF0 values, any of which may be [`Value::Amf3`]) rather than type 18.
    pub amf3: bool,
    /// The values, in order.
    pub values: Vec<Value>,
}

impl DataMessage {
    /// The first value when it is a string: the handler name
    /// (`@setDataFrame`, `onMetaData`, `|RtmpSampleAccess` ...).
    pub fn name(&self) -> Option<&str> {
        self.values.first()?.as_str()
    }

    /// The stream metadata: the object or ECMA array after `onMetaData`,
    /// also when wrapped in `@setDataFrame` by a publisher.
    pub fn metadata(&self) -> Option<&Value> {
        let at = match (self.name()?, self.values.get(1).and_then(Value::as_str)) {
            ("@setDataFrame", Some("onMetaData")) => 2,
            ("onMetaData", _) => 1,
            _ => return None,
        };
        self.values.get(at).filter(|v| v.properties().is_some())
    }
}
