"""常见问题 in the console: a unit's handlers and leaders write, edit, preview (as the public
FAQ page shows it), publish and withdraw the questions and answers of their unit and of the
units below it, through api.faq_service as POST/PATCH /api/faq and GET /api/faq/unit do."""

from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Form, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from api import faq_service
from api.case_names import Names
from api.console.auth import PATH, ConsoleUser, ConsoleUserDep, PostedByDep, acting_as
from api.console.registration_form import Errors, FormRefused, form_reason
from api.console.render import page
from api.deps import ClockDep, SessionDep
from api.html import local_date
from api.schemas.faq import ANSWER_MAX, QUESTION_MAX, FaqChange, FaqNew
from domain.roles import CASE_ACTORS

Entry = TypeVar("Entry", FaqNew, FaqChange)

router = APIRouter(prefix=f"{PATH}/faq", tags=["console"], default_response_class=HTMLResponse)

FaqId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _writer(user: ConsoleUserDep) -> ConsoleUser:
    acting_as(user, CASE_ACTORS)  # as CaseActorDep on /api/faq
    return user


def _posting_writer(user: PostedByDep) -> ConsoleUser:
    acting_as(user, CASE_ACTORS)
    return user


WriterDep = Annotated[ConsoleUser, Depends(_writer)]
PostingWriterDep = Annotated[ConsoleUser, Depends(_posting_writer)]


async def _posted(request: Request) -> FormData:
    return await request.form()


PostedForm = Annotated[FormData, Depends(_posted)]


@dataclass
class FaqForm:
    """The question and answer as typed; `faq_id` 0 for a new entry."""

    question: str = ""
    answer: str = ""
    faq_id: int = 0

    @classmethod
    def posted(cls, form: FormData) -> "FaqForm":
        def text(name: str) -> str:
            value = form.get(name, "")
            return value if isinstance(value, str) else ""

        faq_id = text("faq_id")
        return cls(text("question"), text("answer"), int(faq_id) if faq_id.isdigit() else 0)

    def validated(self, model: type[Entry], published: bool | None = None) -> Entry:
        """The entry (FaqNew) or the change (FaqChange) the form makes, both texts required;
        FormRefused naming the field otherwise."""
        body: dict[str, object] = {"question": self.question, "answer": self.answer}
        if published is not None:
            body["published"] = published
        try:
            return model.model_validate(body)
        except ValidationError as exc:
            errors: Errors = {}
            for error in exc.errors():
                place = str(error["loc"][0]) if error["loc"] else "question"
                errors.setdefault(place, []).append(form_reason(dict(error)))
            raise FormRefused(errors) from None


@router.get("")
def faq_list(user: WriterDep, session: SessionDep) -> HTMLResponse:
    """The unit's entries and those of the units below, drafts included."""
    names = Names(session)
    entries = faq_service.unit_entries(session, user.staff)
    return page(
        "console/faq.html",
        user=user,
        title="常见问题",
        active="faq",
        entries=entries,
        unit_names={entry.unit_code: names.unit(entry.unit_code) for entry in entries},
    )


@router.get("/new")
def new_form(user: WriterDep) -> HTMLResponse:
    return _form_page(user, FaqForm())


@router.post("/edit")
def form_again(user: PostingWriterDep, posted: PostedForm, session: SessionDep) -> HTMLResponse:
    """The form as posted, back from the preview."""
    form = FaqForm.posted(posted)
    published = False
    if form.faq_id:
        published = faq_service.editable(session, user.staff, form.faq_id).published
    return _form_page(user, form, published=published)


@router.get("/{faq_id}")
def edit_form(faq_id: FaqId, user: WriterDep, session: SessionDep) -> HTMLResponse:
    faq = faq_service.editable(session, user.staff, faq_id)
    form = FaqForm(faq.question, faq.answer, faq_id)
    return _form_page(user, form, published=faq.published)


def _form_page(
    user: ConsoleUser,
    form: FaqForm,
    *,
    published: bool = False,
    errors: Errors | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        "console/faq_form.html",
        status_code,
        user=user,
        title="修改问答" if form.faq_id else "新写问答",
        active="faq",
        form=form,
        published=published,
        errors=errors or {},
        question_max=QUESTION_MAX,
        answer_max=ANSWER_MAX,
    )


@router.post("/preview")
def preview(
    user: PostingWriterDep, posted: PostedForm, session: SessionDep, clock: ClockDep
) -> HTMLResponse:
    """The entry as the public FAQ page will show it, to publish, keep as a draft or change."""
    form = FaqForm.posted(posted)
    unit_code, published = user.staff.unit_code, False
    if form.faq_id:
        faq = faq_service.editable(session, user.staff, form.faq_id)
        unit_code, published = faq.unit_code, faq.published
    try:
        entry = form.validated(FaqNew)
    except FormRefused as refused:
        return _form_page(user, form, published=published, errors=refused.errors, status_code=422)
    return page(
        "console/faq_preview.html",
        user=user,
        title="预览问答",
        active="faq",
        form=form,
        published=published,
        entry={
            "id": form.faq_id or "preview",
            "question": entry.question,
            "answer": entry.answer,
            "unit_name": Names(session).unit(unit_code),
            "updated": local_date(clock()),
        },
    )


@router.post("", response_model=None)
def create(
    user: PostingWriterDep,
    posted: PostedForm,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Save a new entry of the unit, published or as a draft (the button pressed)."""
    form = FaqForm.posted(posted)
    form.faq_id = 0
    try:
        body = form.validated(FaqNew, published=posted.get("published") == "1")
    except FormRefused as refused:
        return _form_page(user, form, errors=refused.errors, status_code=422)
    faq_service.create(session, user.staff, body, clock())
    return RedirectResponse(f"{PATH}/faq", status_code=303)


@router.post("/{faq_id}", response_model=None)
def save(
    faq_id: FaqId,
    user: PostingWriterDep,
    posted: PostedForm,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    """Save the changed question and answer; publish or withdraw it too when the button says."""
    faq = faq_service.editable(session, user.staff, faq_id)
    form = FaqForm.posted(posted)
    form.faq_id = faq_id
    publishing = posted.get("published")
    try:
        body = form.validated(
            FaqChange, published=None if publishing is None else publishing == "1"
        )
    except FormRefused as refused:
        return _form_page(
            user, form, published=faq.published, errors=refused.errors, status_code=422
        )
    faq_service.change(session, user.staff, faq_id, body, clock())
    return RedirectResponse(f"{PATH}/faq", status_code=303)


@router.post("/{faq_id}/publication", response_model=None)
def publication(
    faq_id: FaqId,
    user: PostingWriterDep,
    session: SessionDep,
    clock: ClockDep,
    published: Annotated[str, Form(max_length=1)] = "",
) -> Response:
    """Publish (1) or withdraw (0) an entry as it is."""
    faq_service.editable(session, user.staff, faq_id)
    if published not in ("0", "1"):
        raise HTTPException(422, detail="请选择发布或撤回")
    change = FaqChange(published=published == "1")
    faq_service.change(session, user.staff, faq_id, change, clock())
    return RedirectResponse(f"{PATH}/faq", status_code=303)
