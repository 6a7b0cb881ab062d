//! The conversation object as ChatGPT stores it (export, API, share page), deserialised
//! leniently: strings are borrowed where possible, unknown keys are ignored, and a field of
//! the wrong type becomes `None` instead of an error.
//!
//! It is read in one of two ways (see `convo::read`):
//! - in one pass, every message, content and metadata object parsed as it is met
//!   ([`FastConversation`]): the usual case;
//! - if that fails (a message or content that is not an object, an unknown content type
//!   whose raw JSON must be kept, …), leniently in layers ([`LayeredConversation`]): each
//!   message, then its content and metadata, kept as raw JSON until needed, so that damage
//!   stays inside the message or content it is in.

use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

/// A string that may borrow from the input.
pub(crate) type Str<'a> = Cow<'a, str>;

/// A conversation read in one pass.
pub(crate) type FastConversation<'a> = Conversation<'a, Box<FastMessage<'a>>>;
/// A message read in one pass.
pub(crate) type FastMessage<'a> = Message<'a, Content<'a, PartValue<'a>>, Meta<'a>>;
/// A conversation whose messages are kept as raw JSON.
pub(crate) type LayeredConversation<'a> = Conversation<'a, &'a RawValue>;
/// A message whose content and metadata are kept as raw JSON.
pub(crate) type LayeredMessage<'a> = Message<'a, &'a RawValue, &'a RawValue>;

/// The conversation; `M` is how each node's message is held.
#[derive(Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct Conversation<'a, M> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub title: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub create_time: Option<f64>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub update_time: Option<f64>,
    #[serde(borrow, default, deserialize_with = "lenient_mapping")]
    pub mapping: Option<HashMap<Str<'a>, Node<'a, M>>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub current_node: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub conversation_id: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub default_model_slug: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub gizmo_id: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_archived: Option<bool>,
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "M: Deserialize<'de>"))]
pub(crate) struct Node<'a, M> {
    #[serde(default)]
    pub message: Option<M>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub parent: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str_list")]
    pub children: Option<Vec<Str<'a>>>,
}

impl<M> Default for Node<'_, M> {
    fn default() -> Self {
        Node {
            message: None,
            parent: None,
            children: None,
        }
    }
}

/// A message; `C` and `X` are how its content and metadata are held.
#[derive(Deserialize)]
#[serde(bound(deserialize = "C: Deserialize<'de>, X: Deserialize<'de>"))]
pub(crate) struct Message<'a, C, X> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub author: Option<Author<'a>>,
    #[serde(default, deserialize_with = "lenient_time")]
    pub create_time: Option<f64>,
    #[serde(default)]
    pub content: Option<C>,
    #[serde(default)]
    pub metadata: Option<X>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub recipient: Option<Str<'a>>,
}

/// An item of `content.parts`: text, an object (image, audio, …), or anything else. In the
/// layered reading the raw JSON of objects and others is kept, for what is not understood.
pub(crate) enum PartValue<'a> {
    Text(Str<'a>),
    Object(Box<Part<'a>>, Option<&'a RawValue>),
    Other(Option<&'a RawValue>),
}

impl<'de> Deserialize<'de> for PartValue<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PartValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a part")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(PartValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(PartValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(PartValue::Text(Cow::Owned(v)))
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let part = Part::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(PartValue::Object(Box::new(part), None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(PartValue::Other(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(PartValue::Other(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(PartValue::Other(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(PartValue::Other(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(PartValue::Other(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(PartValue::Other(None))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'a> PartValue<'a> {
    /// A part kept as raw JSON, read now (the layered reading).
    pub(crate) fn from_raw(raw: &'a RawValue) -> Self {
        let text = raw.get();
        if text.starts_with('"') {
            return match serde_json::from_str::<PartValue<'a>>(text) {
                Ok(PartValue::Text(s)) => PartValue::Text(s),
                _ => PartValue::Other(Some(raw)),
            };
        }
        match serde_json::from_str::<Part<'a>>(text) {
            Ok(part) if text.starts_with('{') => PartValue::Object(Box::new(part), Some(raw)),
            _ => PartValue::Other(Some(raw)),
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct Author<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub role: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
}

/// The fields of `message.content` chatkeep uses, for every `content_type`; `P` is how the
/// items of `parts` are held.
#[derive(Deserialize)]
#[serde(bound(deserialize = "P: Deserialize<'de>"))]
pub(crate) struct Content<'a, P> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub content_type: Option<Str<'a>>,
    #[serde(default)]
    pub parts: Option<Vec<P>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub text: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub language: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub thoughts: Option<Vec<RawThought<'a>>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub content: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub user_profile: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub user_instructions: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub model_set_context: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub result: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub summary: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub domain: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub title: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
}

impl<'a, P> Content<'a, P> {
    /// The same content with each part converted by `f`.
    pub(crate) fn map_parts<Q>(self, f: impl FnMut(P) -> Q) -> Content<'a, Q> {
        Content {
            content_type: self.content_type,
            parts: self.parts.map(|parts| parts.into_iter().map(f).collect()),
            text: self.text,
            language: self.language,
            thoughts: self.thoughts,
            content: self.content,
            user_profile: self.user_profile,
            user_instructions: self.user_instructions,
            model_set_context: self.model_set_context,
            result: self.result,
            summary: self.summary,
            url: self.url,
            domain: self.domain,
            title: self.title,
            name: self.name,
        }
    }
}

#[derive(Deserialize, Default)]
pub(crate) struct RawThought<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub summary: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub content: Option<Str<'a>>,
}

/// An object part of `multimodal_text`.
#[derive(Deserialize, Default)]
pub(crate) struct Part<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub content_type: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub asset_pointer: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub size_bytes: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub width: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub height: Option<u64>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub text: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub direction: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub format: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub metadata: Option<PartMeta<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub audio_asset_pointer: Option<Box<Part<'a>>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct PartMeta<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub dalle: Option<Dalle<'a>>,
    #[serde(borrow, default)]
    pub generation: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Dalle<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub prompt: Option<Str<'a>>,
}

/// The fields of `message.metadata` chatkeep uses.
#[derive(Deserialize, Default)]
pub(crate) struct Meta<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub model_slug: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_visually_hidden_from_conversation: Option<bool>,
    #[serde(default, deserialize_with = "lenient_bool")]
    pub is_user_system_message: Option<bool>,
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub content_references: Option<Vec<ContentRef<'a>>>,
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub citations: Option<Vec<Citation<'a>>>,
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub attachments: Option<Vec<Attachment<'a>>>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub aggregate_result: Option<AggregateResult<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub image_gen_title: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub user_context_message_data: Option<UserContext<'a>>,
}

/// The custom instructions as the user typed them (without ChatGPT's preamble).
#[derive(Deserialize, Default)]
pub(crate) struct UserContext<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub about_user_message: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub about_model_message: Option<Str<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct Attachment<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub id: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub size: Option<u64>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub mime_type: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub width: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub height: Option<u64>,
}

#[derive(Deserialize, Default)]
pub(crate) struct AggregateResult<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub messages: Option<Vec<AggregateMessage<'a>>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct AggregateMessage<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub message_type: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub image_url: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub width: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub height: Option<u64>,
}

/// A `content_references[]` entry (2025+ citations).
#[derive(Deserialize, Default)]
pub(crate) struct ContentRef<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub matched_text: Option<Str<'a>>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub start_idx: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub end_idx: Option<u64>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    #[serde(rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub alt: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub title: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub attribution: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub items: Option<Vec<RefItem<'a>>>,
    /// Image search results (`image_v2`, `image_group`).
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub images: Option<Vec<RefImage<'a>>>,
}

/// An image search result: flat in `image_v2`, under `image_result` in `image_group`.
#[derive(Deserialize, Default)]
pub(crate) struct RefImage<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub title: Option<Str<'a>>,
    /// The page the image is on.
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub content_url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub thumbnail_url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub attribution: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub image_result: Option<Box<RefImage<'a>>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct RefItem<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub description: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub title: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub attribution: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
}

/// A `citations[]` entry (2023 browsing and file search).
#[derive(Deserialize, Default)]
pub(crate) struct Citation<'a> {
    #[serde(default, deserialize_with = "lenient_u64")]
    pub start_ix: Option<u64>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub end_ix: Option<u64>,
    #[serde(borrow, default, deserialize_with = "lenient_obj")]
    pub metadata: Option<CitationMeta<'a>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct CitationMeta<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub title: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub url: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
}

/// Canvas tool calls: `{"name", "type", "content"}` or `{"updates": [...]}`.
#[derive(Deserialize, Default)]
pub(crate) struct CanvasCall<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub name: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    #[serde(rename = "type")]
    pub kind: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub content: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_list")]
    pub updates: Option<Vec<CanvasUpdate<'a>>>,
}

#[derive(Deserialize, Default)]
pub(crate) struct CanvasUpdate<'a> {
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub pattern: Option<Str<'a>>,
    #[serde(borrow, default, deserialize_with = "lenient_str")]
    pub replacement: Option<Str<'a>>,
    /// Every match, not only the first.
    #[serde(default, deserialize_with = "lenient_bool")]
    pub multiple: Option<bool>,
}

// ---- lenient field deserialisers: a value of the wrong type becomes `None` ----

/// The visitor methods shared by the lenient deserialisers: null, arrays and objects
/// (whatever they hold) become `None`.
macro_rules! otherwise_none {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    };
}

/// The visitor methods for null and scalars, all `None`.
macro_rules! scalars_none {
    () => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
    };
}

struct LenientStr;
impl<'de> Visitor<'de> for LenientStr {
    type Value = Option<Str<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(Cow::Owned(v.to_string())))
    }
    otherwise_none!();
}

fn lenient_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Str<'de>>, D::Error> {
    d.deserialize_any(LenientStr)
}

/// A list of strings; items of another type are dropped, a value that is not a list is `None`.
fn lenient_str_list<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Str<'de>>>, D::Error> {
    struct MaybeStr<'a>(Option<Str<'a>>);
    impl<'de> Deserialize<'de> for MaybeStr<'de> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(LenientStr).map(MaybeStr)
        }
    }
    Ok(lenient_items::<D, MaybeStr<'de>>(d)?.map(|v| v.into_iter().filter_map(|x| x.0).collect()))
}

/// A list whose items are read as `I`; a value that is not a list is `None`.
fn lenient_items<'de, D: Deserializer<'de>, I: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<I>>, D::Error> {
    struct List<I>(PhantomData<I>);
    impl<'de, I: Deserialize<'de>> Visitor<'de> for List<I> {
        type Value = Option<Vec<I>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut v = Vec::new();
            while let Some(x) = seq.next_element()? {
                v.push(x);
            }
            Ok(Some(v))
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        scalars_none!();
    }
    d.deserialize_any(List(PhantomData))
}

/// The `mapping` object: a node that is not an object is kept as an empty node (so links
/// to it still resolve) instead of making the whole conversation unreadable.
#[allow(clippy::type_complexity)]
fn lenient_mapping<'de, D: Deserializer<'de>, M: Deserialize<'de>>(
    d: D,
) -> Result<Option<HashMap<Str<'de>, Node<'de, M>>>, D::Error> {
    struct MaybeNode<'a, M>(Node<'a, M>);
    impl<'de, M: Deserialize<'de>> Deserialize<'de> for MaybeNode<'de, M> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            Ok(MaybeNode(lenient_obj(d)?.unwrap_or_default()))
        }
    }
    let m: Option<HashMap<Str<'de>, MaybeNode<'de, M>>> = Option::deserialize(d)?;
    Ok(m.map(|m| m.into_iter().map(|(k, v)| (k, v.0)).collect()))
}

/// An object read as `T`; a value of another type is `None`.
struct ObjectOnly<T>(PhantomData<T>);
impl<'de, T: Deserialize<'de>> Visitor<'de> for ObjectOnly<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    scalars_none!();
}

fn lenient_obj<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    d.deserialize_any(ObjectOnly(PhantomData))
}

/// A list of objects read as `T`; items of another type are dropped, a value that is not a
/// list is `None`.
fn lenient_list<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Vec<T>>, D::Error> {
    struct Item<T>(Option<T>);
    impl<'de, T: Deserialize<'de>> Deserialize<'de> for Item<T> {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            lenient_obj(d).map(Item)
        }
    }
    Ok(lenient_items::<D, Item<T>>(d)?.map(|v| v.into_iter().filter_map(|x| x.0).collect()))
}

/// Numbers, numeric strings and RFC 3339 strings become epoch seconds; anything else `None`.
struct LenientTime;
impl<'de> Visitor<'de> for LenientTime {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a time")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.is_finite().then_some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        if let Ok(n) = v.trim().parse::<f64>() {
            return Ok(n.is_finite().then_some(n));
        }
        Ok(crate::time_fmt::parse_rfc3339(v))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    otherwise_none!();
}

fn lenient_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(LenientTime)
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(lenient_time(d)?.and_then(|v| (0.0..1.8e19).contains(&v).then_some(v as u64)))
}

struct LenientBool;
impl<'de> Visitor<'de> for LenientBool {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(match v {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        })
    }
    otherwise_none!();
}

fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(LenientBool)
}

/// Parses raw JSON leniently: a value of an unexpected shape becomes the default.
pub(crate) fn parse_or_default<'a, T: Deserialize<'a> + Default>(raw: Option<&'a RawValue>) -> T {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or_default()
}
