"""Symbol cases per language, (path, source, expected (kind, symbol, start, end) rows), for the parser
tests: the first half here, the second in symbol_cases_more.py; CASES holds both."""

from __future__ import annotations

from .symbol_cases_more import MORE_CASES

PYTHON = """\
\"\"\"Auth helpers.\"\"\"
import functools
from .models import User, query

TIMEOUT = 30


def verify_password(user, password):
    # Compare in constant time.
    return user.check(password)


@functools.lru_cache(maxsize=None)
@audit
def authenticate_user(username: str, password: str) -> User:
    \"\"\"Authenticate a user with credentials.\"\"\"
    user = query(User).filter_by(name=username).first()
    if user and verify_password(user, password):
        return user
    raise PermissionError(username)


class Session:
    \"\"\"A logged-in session.\"\"\"

    ttl = TIMEOUT

    def __init__(self, user):
        self.user = user

    @property
    def expired(self) -> bool:
        def helper():
            return False
        return helper()

    class Token:
        def refresh(self):
            pass


if __name__ == "__main__":
    authenticate_user("a", "b")
"""

JAVASCRIPT = """\
const express = require('express');
import { a } from './a';
/** Obj method. */
obj.method = function (x) { return go(x); };
exports.handler = async (req) => { return 1; };
module.exports.other = function named() {};
export const f = (a) => a + 1;
class Foo extends Bar {
  handle = (e) => { this.x(e); };
  static count = 0;
  get size() { return 1; }
  run() {}
}
export default function main() {}
function* gen() {}
"""

TYPESCRIPT = """\
import { Injectable } from '@angular/core';
import type { User } from './user';

/** Shape of a point. */
export interface Point { x: number; y: number }
export enum Color { Red, Green }
export type Id = string;

@Injectable()
export class UserService {
  private cache = new Map<string, User>();
  constructor(private http: HttpClient) {}
  load = async (id: Id): Promise<User> => {
    return this.http.get<User>(`/u/${id}`);
  };
  find(id: string): User | undefined { return this.cache.get(id); }
}
export abstract class Base { abstract run(): void; stop() {} }
export const handler = (req: Request): Response => respond(req);
export function helper<T>(x: T): T { return x; }
"""

GO = """\
package main
import (
	"fmt"
	srv "net/http"
)
// Server serves.
type Server struct { Addr string }
type Handler interface { Serve() }
// Start starts.
func (s *Server) Start() error { return fmt.Errorf("x") }
func (s Server) Stop() {}
func main() { run() }
type ID int
"""

RUST = """\
use std::fmt;
/// A point.
#[derive(Debug)]
pub struct Point { x: i32 }
impl Point {
    /// Make one.
    pub fn new(x: i32) -> Self { Point { x } }
}
impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result { write!(f, "{}", self.x) }
}
impl<T> Wrapper<T> { fn get(&self) -> &T { &self.0 } }
pub trait Shape { fn area(&self) -> f64; }
enum E { A }
mod tests { fn t() {} }
macro_rules! m { () => {} }
"""

JAVA = """\
package com.example;

import java.util.List;
import static java.util.Objects.requireNonNull;

/**
 * Manages orders.
 */
@Service
public class OrderService implements Service {
    private final Repo repo;

    public OrderService(Repo repo) { this.repo = requireNonNull(repo); }

    /** Finds one. */
    @Override
    public Order find(long id) {
        return repo.findById(id).orElseThrow();
    }

    interface Listener { void onOrder(Order o); }
    enum State { NEW, DONE }
    record Line(String sku, int qty) {}
}
"""

C = """\
#include <stdio.h>
#include "util.h"

/* Duplicate a string. */
char *dup_str(const char *s) {
    return strdup(s);
}
static int **matrix(void) { return 0; }
struct point { int x; int y; };
typedef struct { int a; } pair_t;
enum color { RED };
"""

CPP = """\
#include <vector>
namespace app {
/// Widget doc.
class Widget : public Base {
public:
    Widget();
    int size() const { return n_; }
private:
    int n_;
};
int Widget::count(int x) { return helper(x); }
Widget::Widget() : n_(0) {}
template <typename T> T max_of(T a, T b) { return a > b ? a : b; }
std::string& Widget::name() { return name_; }
}
"""

CASES = {
    "python": ("auth/session.py", PYTHON, [
        ('function', 'verify_password', 8, 10),
        ('function', 'authenticate_user', 13, 20),
        ('class', 'Session', 23, 39),
        ('method', 'Session.__init__', 28, 29),
        ('method', 'Session.expired', 31, 35),
        ('class', 'Session.Token', 37, 39),
        ('method', 'Session.Token.refresh', 38, 39),
    ]),
    "javascript": ("web/app.js", JAVASCRIPT, [
        ('method', 'obj.method', 3, 4),
        ('function', 'handler', 5, 5),
        ('function', 'other', 6, 6),
        ('function', 'f', 7, 7),
        ('class', 'Foo', 8, 13),
        ('method', 'Foo.handle', 9, 9),
        ('method', 'Foo.size', 11, 11),
        ('method', 'Foo.run', 12, 12),
        ('function', 'main', 14, 14),
        ('function', 'gen', 15, 15),
    ]),
    "typescript": ("src/user.service.ts", TYPESCRIPT, [
        ('interface', 'Point', 4, 5),
        ('enum', 'Color', 6, 6),
        ('class', 'UserService', 9, 17),
        ('method', 'UserService.constructor', 12, 12),
        ('method', 'UserService.load', 13, 15),
        ('method', 'UserService.find', 16, 16),
        ('class', 'Base', 18, 18),
        ('method', 'Base.stop', 18, 18),
        ('function', 'handler', 19, 19),
        ('function', 'helper', 20, 20),
    ]),
    "go": ("server/server.go", GO, [
        ('struct', 'Server', 6, 7),
        ('interface', 'Handler', 8, 8),
        ('method', 'Server.Start', 9, 10),
        ('method', 'Server.Stop', 11, 11),
        ('function', 'main', 12, 12),
        ('class', 'ID', 13, 13),
    ]),
    "rust": ("src/point.rs", RUST, [
        ('struct', 'Point', 2, 4),
        ('method', 'Point.new', 6, 7),
        ('method', 'Point.fmt', 10, 10),
        ('method', 'Wrapper.get', 12, 12),
        ('trait', 'Shape', 13, 13),
        ('enum', 'E', 14, 14),
        ('function', 'tests.t', 15, 15),
        ('function', 'm', 16, 16),
    ]),
    "java": ("src/OrderService.java", JAVA, [
        ('class', 'OrderService', 6, 24),
        ('method', 'OrderService.OrderService', 13, 13),
        ('method', 'OrderService.find', 15, 19),
        ('interface', 'OrderService.Listener', 21, 21),
        ('enum', 'OrderService.State', 22, 22),
        ('class', 'OrderService.Line', 23, 23),
    ]),
    "c": ("src/str.c", C, [
        ('function', 'dup_str', 4, 7),
        ('function', 'matrix', 8, 8),
        ('struct', 'point', 9, 9),
        ('struct', 'pair_t', 10, 10),
        ('enum', 'color', 11, 11),
    ]),
    "cpp": ("src/widget.cpp", CPP, [
        ('class', 'Widget', 3, 10),
        ('method', 'Widget.size', 7, 7),
        ('method', 'Widget.count', 11, 11),
        ('method', 'Widget.Widget', 12, 12),
        ('function', 'max_of', 13, 13),
        ('method', 'Widget.name', 14, 14),
    ]),
}


CASES.update(MORE_CASES)
