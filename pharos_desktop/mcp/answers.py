"""How a tool answers: compact text an assistant reads (places as ``path:start-end``) with the same facts as a
structured result, or a refusal in one plain line."""

from __future__ import annotations

from mcp.types import CallToolResult, TextContent
from pydantic import BaseModel


def answer(text: str, structured: BaseModel) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=structured.model_dump(mode="json"))


def refusal(line: str) -> CallToolResult:
    """One line for the assistant to read (and pass on): what cannot be done and what would work."""
    return CallToolResult(content=[TextContent(type="text", text=" ".join(line.split()))], is_error=True)
