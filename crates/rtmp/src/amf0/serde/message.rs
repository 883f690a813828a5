//! Typed views of the two objects users ask for most: a data message's
//! `onMetaData` and a `connect` command object.

use serde::Deserialize;

use super::{from_value, DeError};
use crate::message::{Connect, DataMessage};

impl DataMessage {
    /// The stream metadata (see [`metadata`](Self::metadata)) decoded into
    /// the caller's type; `Ok(None)` when this data message carries none.
    ///
    /// ```
    /// use serde::Deserialize;
    /// use wirestate_rtmp::amf0::Value;
    /// use wirestate_rtmp::message::DataMessage;
    ///
    /// #[derive(Deserialize)]
    /// struct Meta {
    ///     width: u32,
    ///     #[serde(rename = "videocodecid")]
    ///     codec: Option<f64>,
    /// }
    ///
    /// let meta = Value::EcmaArray(vec![("width".into(), 640.0.into()), ("duration".into(), 0.0.into())]);
    /// let data = DataMessage { amf3: false, values: vec!["@setDataFrame".into(), "onMetaData".into(), meta] };
    /// let meta: Meta = data.metadata_as()?.expect("onMetaData");
    /// assert_eq!((meta.width, meta.codec), (640, None));
    /// # Ok::<(), wirestate_rtmp::amf0::DeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`DeError`] when the metadata does not fit `T` (a missing required
    /// field, a wrong type, a fractional number for an integer field).
    pub fn metadata_as<'a, T: Deserialize<'a>>(&'a self) -> Result<Option<T>, DeError> {
        self.metadata().map(from_value).transpose()
    }
}

impl Connect {
    /// The command object decoded into the caller's type: `app`, `tcUrl`,
    /// `flashVer`, `capsEx` ... under the names the struct gives them.
    ///
    /// ```
    /// use serde::Deserialize;
    /// use wirestate_rtmp::message::Connect;
    ///
    /// #[derive(Deserialize)]
    /// #[serde(rename_all = "camelCase")]
    /// struct ConnectObject {
    ///     app: String,
    ///     tc_url: String,
    ///     caps_ex: Option<u32>,
    /// }
    ///
    /// let connect = Connect::new(1.0, "live", "rtmp://example.com/live");
    /// let object: ConnectObject = connect.command_object_as()?;
    /// assert_eq!((object.app.as_str(), object.caps_ex), ("live", None));
    /// # Ok::<(), wirestate_rtmp::amf0::DeError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`DeError`] when the command object does not fit `T`.
    pub fn command_object_as<'a, T: Deserialize<'a>>(&'a self) -> Result<T, DeError> {
        from_value(&self.command_object)
    }
}
