"""The MCP server: seven tools with typed input schemas, their descriptions for the assistant, and the one-line rule
for refusals, on the official SDK's MCPServer. Every tool but ingest_repository only reads."""

# No `from __future__ import annotations` here: the SDK reads each tool's annotations for its schemas.
from typing import Annotated, Callable

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ToolAnnotations
from pydantic import Field, ValidationError

from .. import __version__
from ..engine.errors import PharosError
from . import ingest, reading, related, repositories, search_code
from .answers import refusal
from .view import ServedIndex

INSTRUCTIONS = (
    "Pharos Desktop's index of the user's code, on this computer. list_repositories says what is indexed and whether "
    "each index is current. search_code finds code by meaning and by words (hybrid search), each hit with a "
    "relevance from 0 to 100, why it matched and its place as repo:path:start-end; read_code and read_symbol return "
    "the text there, outline a file's symbols or a repository's folders and main modules; find_related gives what a "
    "file or symbol is tied to: its imports, importers, callers and callees. ingest_repository indexes "
    "a repository when the user has allowed it.")

READS = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=True)

Repository = Annotated[str, Field(description="a repository's name (as list_repositories shows it) or id")]
Path = Annotated[str, Field(description="a file's path relative to the repository, as search_code shows it")]


class PharosServer(MCPServer):
    async def call_tool(self, name, arguments, context=None):
        """Arguments that do not fit a tool's schema are refused in one line too, naming the field."""
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc.__cause__, ValidationError):
                problems = "; ".join(f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
                                     for error in exc.__cause__.errors())
                raise ToolError(f"{name}: {problems}") from None
            raise


def build(served: ServedIndex, **auth) -> MCPServer:
    """The server; ``auth``: MCPServer's token_verifier and auth, for HTTP."""
    server = PharosServer("pharos-desktop", title="Pharos Desktop", version=__version__, instructions=INSTRUCTIONS,
                          log_level="WARNING", **auth)

    async def run(function: Callable[..., CallToolResult], *args) -> CallToolResult:
        try:
            return await served.run(function, served, *args)
        except PharosError as exc:
            return refusal(str(exc))

    @server.tool(name="search_code", title="Search code", annotations=READS)
    async def search_code_tool(
            query: Annotated[str, Field(description="what to find: a question, a description or names")],
            repository: Annotated[str | None, Field(description="only this repository (name or id)")] = None,
            language: Annotated[str | None, Field(description="only this language, e.g. python, typescript")] = None,
            path_glob: Annotated[str | None, Field(description="only paths matching this glob, e.g. 'src/*.py'")] = None,
            kind: Annotated[str | None, Field(description="only this kind: function, method, class, struct, "
                                                          "interface, trait, enum, module, section, ...")] = None,
            include_tests: Annotated[bool, Field(description="false: leave out hits in test files")] = True,
            limit: Annotated[int, Field(ge=1, le=search_code.MAX_LIMIT)] = search_code.DEFAULT_LIMIT,
    ) -> Annotated[CallToolResult, search_code.SearchResult]:
        """Search the indexed code: semantic search fused with keyword search, one hit per symbol, best first. Each
        hit gives repo:path:start-end, the symbol and its kind, a relevance from 0 to 100, why it matched (name,
        doc, path, code: the fields holding query words; meaning: near in meaning) and its ranks."""
        return await run(search_code.search_code, query, repository, language, path_glob, kind, include_tests, limit)

    @server.tool(title="List repositories", annotations=READS)
    async def list_repositories() -> Annotated[CallToolResult, repositories.RepositoryList]:
        """The indexed repositories: name, source, branch, indexed commit, files, chunks, and whether the index is
        current (the indexed commit against the checkout's HEAD now), stale, or unknown."""
        return await run(repositories.list_repositories)

    @server.tool(title="Read code", annotations=READS)
    async def read_code(
            repository: Repository, path: Path,
            start_line: Annotated[int | None, Field(ge=1, description="first line (default 1)")] = None,
            end_line: Annotated[int | None, Field(ge=1, description="last line (default: the end of the file)")] = None,
    ) -> Annotated[CallToolResult, reading.Code]:
        """An indexed file's lines as the index holds them (the indexed commit), numbered; at most
        400 lines an answer."""
        return await run(reading.read_code, repository, path, start_line, end_line)

    @server.tool(title="Read a symbol", annotations=READS)
    async def read_symbol(
            repository: Repository, path: Path,
            symbol: Annotated[str, Field(description="its name as outline shows it (Settings.get), or its last part "
                                                     "(get) when only one symbol has it")],
    ) -> Annotated[CallToolResult, reading.Symbol]:
        """One symbol's lines (a function, a method, a class, a document section) from an indexed file."""
        return await run(reading.read_symbol, repository, path, symbol)

    @server.tool(title="Outline", annotations=READS)
    async def outline(
            repository: Repository,
            path: Annotated[str | None, Field(description="a file to outline; none: the whole repository")] = None,
    ) -> Annotated[CallToolResult, reading.Outline]:
        """A file's symbols with their lines and signatures; without a path, the repository's folders and its main
        modules (the files with the most symbols)."""
        return await run(reading.outline, repository, path)

    @server.tool(title="Find related code", annotations=READS)
    async def find_related(
            repository: Repository, path: Path,
            symbol: Annotated[str | None, Field(description="a symbol of that file (Settings.get, or get when only one "
                                                            "symbol has it); none: the whole file")] = None,
    ) -> Annotated[CallToolResult, related.RelatedResult]:
        """What a file, or one of its symbols, is tied to in the repository: the files it imports and the files that
        import it (path:line of the import), the symbols that use it (callers) and that it uses (callees), each
        reference with how sure the match is (same file, imported file, unique in repository, ambiguous)."""
        return await run(related.find_related, repository, path, symbol)

    @server.tool(title="Ingest a repository", annotations=WRITES)
    async def ingest_repository(
            context: Context,
            source: Annotated[str, Field(description="a git URL (https, ssh) or a local folder")],
            branch: Annotated[str | None, Field(description="the branch to index (default: the remote's default)")]
            = None,
    ) -> Annotated[CallToolResult, ingest.Ingested]:
        """Clone (or open) a repository and index it, or bring its index up to date; reports progress and can be
        cancelled. Only when the user has allowed it in Pharos Desktop (Settings > AI assistants)."""
        return await ingest.ingest_repository(served, context, source, branch)

    return server
