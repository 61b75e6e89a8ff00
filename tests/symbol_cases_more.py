"""Symbol cases per language (second half), merged into symbol_cases.CASES."""

from __future__ import annotations


CSHARP = """\
using System;
using System.Linq;

namespace App.Services
{
    /// <summary>Loads users.</summary>
    [Serializable]
    public class UserService : IService
    {
        private readonly Db _db;
        public UserService(Db db) { _db = db; }
        public User Get(int id) => _db.Find(id);
        public string Name { get; set; }
    }
    public interface IService { User Get(int id); }
    public struct Point { public int X; }
    public enum Kind { A, B }
    public record Person(string Name);
}
"""

RUBY = """\
require "json"
require_relative "lib/x"

# Tools for users.
module Accounts
  # A user record.
  class User < Base
    attr_reader :name

    # Greets.
    def greet(other)
      format_name(other.name)
    end

    def self.build(x) = new(x)
  end
end

def top_level; puts "hi"; end
"""

PHP = """\
<?php
namespace App\\Models;

use Illuminate\\Support\\Str;
require_once 'helpers.php';

/**
 * A user.
 */
class User extends Model implements Auth
{
    private $name;

    /** Full name. */
    public function fullName(): string
    {
        return Str::upper($this->name) . helper();
    }

    public static function make() { return new static(); }
}

interface Auth { public function check(); }
trait Greets { function hi() {} }
enum Suit { case Hearts; }

function helper() { return strlen("x"); }
"""

KOTLIN = """\
package com.example

import foo.bar.Baz

/** Doc for Foo. */
class Foo(val x: Int) : Bar() {
    // run it
    fun run(a: Int): Int {
        return helper(a)
    }

    companion object {
        fun make(): Foo = Foo(1)
    }
}

interface Shape {
    fun area(): Double
}

object Registry {
    val items = listOf(1)
}

fun top(x: String) = println(x)

enum class Color { RED, GREEN }
data class P(val a: Int)
"""

SWIFT = """\
import Foundation

/// A shape.
protocol Shape {
    func area() -> Double
}

struct Circle: Shape {
    let r: Double
    func area() -> Double { return compute(r) }
}

class Store {
    init(x: Int) { self.x = x }
    func load(id: String) -> Item? {
        return fetch(id)
    }
}

extension Store {
    func save() {}
}

enum Kind { case a, b }

func helper(_ x: Int) -> Int { x + 1 }
"""

SCALA = """\
package demo
import scala.collection.mutable

/** A trait. */
trait Greeter {
  def greet(name: String): String
}

class Hello(x: Int) extends Greeter {
  def greet(name: String): String = format(name)
}

object Main {
  def main(args: Array[String]): Unit = {
    println(new Hello(1).greet("a"))
  }
}
case class P(a: Int)
enum Color { case Red }
def top(x: Int) = x
"""

BASH = """\
#!/bin/bash
source ./lib.sh
. ./other.sh

# Deploy the app.
deploy() {
  build_it "$1"
  echo done
}

function cleanup {
  rm -rf /tmp/x
}
deploy prod
"""

LUA = """\
local json = require("json")
-- Module M.
local M = {}

--- Add numbers.
function M.add(a, b)
  return helper(a) + b
end

function M:method(x) return self.y end

local function helper(x) return x end

M.sub = function(a, b) return a - b end

function global_fn() end
return M
"""

MORE_CASES = {
    "csharp": ("Services/UserService.cs", CSHARP, [
        ('class', 'UserService', 6, 14),
        ('method', 'UserService.UserService', 11, 11),
        ('method', 'UserService.Get', 12, 12),
        ('interface', 'IService', 15, 15),
        ('struct', 'Point', 16, 16),
        ('enum', 'Kind', 17, 17),
        ('class', 'Person', 18, 18),
    ]),
    "ruby": ("lib/accounts.rb", RUBY, [
        ('module_symbol', 'Accounts', 4, 17),
        ('class', 'Accounts.User', 6, 16),
        ('method', 'Accounts.User.greet', 10, 13),
        ('method', 'Accounts.User.self.build', 15, 15),
        ('function', 'top_level', 19, 19),
    ]),
    "php": ("app/User.php", PHP, [
        ('class', 'User', 7, 21),
        ('method', 'User.fullName', 14, 18),
        ('method', 'User.make', 20, 20),
        ('interface', 'Auth', 23, 23),
        ('trait', 'Greets', 24, 24),
        ('method', 'Greets.hi', 24, 24),
        ('enum', 'Suit', 25, 25),
        ('function', 'helper', 27, 27),
    ]),
    "kotlin": ("src/Foo.kt", KOTLIN, [
        ('class', 'Foo', 5, 15),
        ('method', 'Foo.run', 7, 10),
        ('method', 'Foo.companion.make', 13, 13),
        ('interface', 'Shape', 17, 19),
        ('class', 'Registry', 21, 23),
        ('function', 'top', 25, 25),
        ('enum', 'Color', 27, 27),
        ('class', 'P', 28, 28),
    ]),
    "swift": ("Sources/Shapes.swift", SWIFT, [
        ('interface', 'Shape', 3, 6),
        ('struct', 'Circle', 8, 11),
        ('method', 'Circle.area', 10, 10),
        ('class', 'Store', 13, 18),
        ('method', 'Store.init', 14, 14),
        ('method', 'Store.load', 15, 17),
        ('method', 'Store.save', 21, 21),
        ('enum', 'Kind', 24, 24),
        ('function', 'helper', 26, 26),
    ]),
    "scala": ("src/Main.scala", SCALA, [
        ('trait', 'Greeter', 4, 7),
        ('class', 'Hello', 9, 11),
        ('method', 'Hello.greet', 10, 10),
        ('class', 'Main', 13, 17),
        ('method', 'Main.main', 14, 16),
        ('class', 'P', 18, 18),
        ('enum', 'Color', 19, 19),
        ('function', 'top', 20, 20),
    ]),
    "bash": ("scripts/deploy.sh", BASH, [
        ('function', 'deploy', 5, 9),
        ('function', 'cleanup', 11, 13),
    ]),
    "lua": ("lua/m.lua", LUA, [
        ('method', 'M.add', 5, 8),
        ('method', 'M.method', 10, 10),
        ('function', 'helper', 12, 12),
        ('method', 'M.sub', 14, 14),
        ('function', 'global_fn', 16, 16),
    ]),
}

