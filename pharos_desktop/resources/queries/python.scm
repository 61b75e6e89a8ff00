; Pharos tag query for Python.
;
; Capture names (shared by every file in this folder):
;   @definition.<kind>  a symbol that becomes a chunk; kind is function, method, class, struct,
;                       interface, trait, enum or module. A function nested in a class-like
;                       definition (or an @scope) becomes a method, qualified "Class.name".
;   @name               the symbol's name, in the same pattern as its @definition/@scope/@namespace
;   @receiver           (Go, Ruby) the receiver that qualifies a method (Server.Start, self.join)
;   @scope              a container that qualifies the names inside it but is no chunk itself
;                       (Rust impl, Swift extension)
;   @namespace          a scope whose functions stay functions (Rust mod: tests.it_works)
;   @import             an import/use/include/require statement
;   @call               the name of a called function (for deps)
;   @reference          an identifier; it counts as a dep when it names something imported
; A first line "; inherits: <name>" prepends <name>.scm (ecma.scm is the base shared by javascript,
; jsx, typescript and tsx; cpp.scm inherits c.scm; jsx uses javascript.scm, tsx typescript.scm).
; Docstrings/comments, decorators and signatures are found in code, not here.

(function_definition name: (identifier) @name) @definition.function
(class_definition name: (identifier) @name) @definition.class

(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import

(call function: [(identifier) @call (attribute attribute: (identifier) @call)])
(identifier) @reference
