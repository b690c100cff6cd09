//! Reading an admin form body: urlencoded as before, or `multipart/form-data` (file uploads: the
//! products CSV, product images). A body larger than the upload limit (`MEDIA_MAX_BYTES`, default
//! 5 MB, plus room for the other fields) is refused with a 413: before it is read when its length
//! is declared, at the first chunk past the limit when it is not.

use wasm_bindgen::JsValue;
use worker::{Env, FormEntry, Headers, Method, Request, RequestInit, Response};

use super::http::{html, read_body, read_bytes_within, Form};
use crate::domain::error::AppError;
use crate::domain::image_size::Slot;
use crate::domain::listing::{FieldError, Problem};
use crate::domain::media::DEFAULT_MAX_BYTES;

/// The one file a multipart form may carry (its field is named `file`).
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// The upload limit in bytes.
pub fn max_bytes(env: &Env) -> usize {
    env.var("MEDIA_MAX_BYTES").ok().and_then(|v| v.to_string().trim().parse::<usize>().ok()).filter(|n| *n > 0).unwrap_or(DEFAULT_MAX_BYTES)
}

/// Room for the form's other fields beside the file.
const FIELDS_ROOM: usize = 64 * 1024;

fn bad_body() -> AppError {
    AppError::Invalid(vec![FieldError { field: "body", problem: Problem::BadValue }])
}

/// An admin form as read: its text fields, its file (field `file`) and the smaller copies of an
/// image that the admin page's script made (fields `size_320`, `size_640`, `size_1280`, `social`:
/// `domain::image_size::Slot`).
pub struct AdminForm {
    pub form: Form,
    pub upload: Option<Upload>,
    pub derived: Vec<(Slot, Upload)>,
}

/// The form's text fields and its files, or the 413 page to answer with. The body may carry the
/// file (at most the limit) and its smaller copies (together at most the limit again).
pub async fn read_form(req: &mut Request, env: &Env, post: bool) -> Result<Result<AdminForm, Response>, AppError> {
    if !post {
        return Ok(Ok(AdminForm { form: Form::default(), upload: None, derived: Vec::new() }));
    }
    let multipart = req.headers().get("content-type").ok().flatten().is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Ok(Ok(AdminForm { form: Form::parse(&read_body(req).await?), upload: None, derived: Vec::new() }));
    }
    let max = max_bytes(env);
    // At most the limit is read (a larger Content-Length is refused before anything is), then the
    // bytes are parsed as the form they are.
    let (form, data) = match read_multipart(req, 2 * max + FIELDS_ROOM, max).await? {
        Ok(read) => read,
        Err(too_large) => return Ok(Err(too_large)),
    };
    let upload = match data.get("file") {
        Some(FormEntry::File(file)) if file.size() > 0 => {
            if file.size() > max {
                return Ok(Err(too_large(max)));
            }
            let bytes = file.bytes().await.map_err(|_| bad_body())?;
            Some(Upload { name: file.name(), bytes })
        }
        _ => None,
    };
    let mut derived = Vec::new();
    let mut total = 0;
    for slot in [320, 640, 1280].map(Slot::Width).into_iter().chain([Slot::Social]) {
        if let Some(FormEntry::File(file)) = data.get(&slot.field()) {
            if file.size() == 0 {
                continue;
            }
            total += file.size();
            if total > max {
                return Ok(Err(too_large(max)));
            }
            let bytes = file.bytes().await.map_err(|_| bad_body())?;
            derived.push((slot, Upload { name: file.name(), bytes }));
        }
    }
    Ok(Ok(AdminForm { form: Form::from_pairs(form), upload, derived }))
}

/// The multipart body read, parsed by the runtime as the form data it is (its boundary is in the
/// request's `content-type`).
async fn multipart_form(req: &Request, bytes: Vec<u8>) -> Result<worker::FormData, AppError> {
    let headers = Headers::new();
    let _ = headers.set("content-type", &req.headers().get("content-type").ok().flatten().unwrap_or_default());
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(js_sys::Uint8Array::from(bytes.as_slice()).into()));
    let mut read = Request::new_with_init("https://upload.local/", &init).map_err(|e| AppError::internal("upload request", e))?;
    read.form_data().await.map_err(|_| bad_body())
}

/// The 413 page (the admin area is in Vietnamese; the English follows).
pub fn too_large(max: usize) -> Response {
    let mb = max as f64 / (1024.0 * 1024.0);
    let body = maud::html! {
        (maud::DOCTYPE)
        html lang="vi" {
            head { meta charset="utf-8"; title { "413" } }
            body {
                h1 { "Tệp quá lớn" }
                p { (format!("Tệp tải lên tối đa {mb:.1} MB. Hãy chọn tệp nhỏ hơn.")) }
                p lang="en" { (format!("The upload limit is {mb:.1} MB. Please choose a smaller file.")) }
            }
        }
    };
    html(413, body.into_string(), Vec::new())
}

/// A multipart body of at most `limit` bytes (else the 413 page naming `max_file`), parsed: its
/// text fields, and the form data for its files.
async fn read_multipart(req: &mut Request, limit: usize, max_file: usize) -> Result<Result<(Vec<(String, String)>, worker::FormData), Response>, AppError> {
    let bytes = match read_bytes_within(req, limit).await {
        Ok(bytes) => bytes,
        Err(AppError::PayloadTooLarge { .. }) => return Ok(Err(too_large(max_file))),
        Err(e) => return Err(e),
    };
    let data = multipart_form(req, bytes).await?;
    let js: JsValue = data.into();
    let mut form = Vec::new();
    if let Ok(Some(entries)) = js_sys::try_iter(&js) {
        for entry in entries.flatten() {
            let pair = js_sys::Array::from(&entry);
            if let (Some(k), Some(v)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
                form.push((k, v));
            }
        }
    }
    Ok(Ok((form, worker::FormData::from(js))))
}

/// A form with up to `max_files` files in the field `field` (the shopper's review photos): its
/// text fields and the non-empty files, or the 413 page when one file (or the body) is over the
/// limit. An urlencoded form has no files.
pub async fn read_form_with_files(req: &mut Request, env: &Env, field: &str, max_files: usize) -> Result<Result<(Form, Vec<Upload>), Response>, AppError> {
    let multipart = req.headers().get("content-type").ok().flatten().is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Ok(Ok((Form::parse(&read_body(req).await?), Vec::new())));
    }
    let max = max_bytes(env);
    let (form, data) = match read_multipart(req, max * max_files.max(1) + FIELDS_ROOM, max).await? {
        Ok(read) => read,
        Err(too_large) => return Ok(Err(too_large)),
    };
    let mut uploads = Vec::new();
    for entry in data.get_all(field).unwrap_or_default() {
        if let FormEntry::File(file) = entry {
            if file.size() == 0 {
                continue;
            }
            if file.size() > max {
                return Ok(Err(too_large(max)));
            }
            let bytes = file.bytes().await.map_err(|_| bad_body())?;
            uploads.push(Upload { name: file.name(), bytes });
        }
    }
    Ok(Ok((Form::from_pairs(form), uploads)))
}
