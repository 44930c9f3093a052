// Loading scripts: __main__ semantics, sys.path (script directory, PYTHONPATH, VIRTUAL_ENV), imports,
// registrations, duplicates and load errors naming file and line.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "spop/ack_builder.hpp"
#include "tests/python/python_test_support.hpp"
#include "tests/support/hex.hpp"

namespace spoa::test {
namespace {


/// Changes the process's working directory for one scope.
class WorkingDirectory {
 public:
  explicit WorkingDirectory(const std::filesystem::path& dir) : saved_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  ~WorkingDirectory() { std::filesystem::current_path(saved_); }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

 private:
  std::filesystem::path saved_;
};

/// The LoadError text of loading `file` into `engine`; "" (and a test failure) if it loads.
std::string error_loading(Engine& engine, const std::filesystem::path& file) {
  try {
    engine.load(file);
  } catch (const LoadError& e) {
    return e.what();
  }
  ADD_FAILURE() << file << " loaded without error";
  return {};
}

TEST_F(PythonEngineTest, AScriptRunsAsMainWithItsAbsolutePath) {
  const auto script = dir() / "script.py";
  load_script(std::string(prelude) + "import sys\nassert __name__ == '__main__', __name__\n"
              "assert __file__ == " + "'" + script.string() + "', __file__\n"
              "assert sys.modules['__main__'].__dict__ is globals()\n"
              "assert sys.argv[0] == __file__, sys.argv\n"
              "spoa.register_message('m', lambda args: None)\n");
  const auto regs = engine().registrations();
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].message, "m");
  EXPECT_EQ(regs[0].file, script);
}

TEST_F(PythonEngineTest, SiblingModulesImportFromAnyWorkingDirectoryAndCanImportSpoa) {
  write("app/helper.py", R"PY(
import spoa                       # the built-in module, from a module the script imports
def handle(args):
    spoa.set_var_int32('helper', spoa.scope_txn, 5)
)PY");
  write("app/pkg/__init__.py", "VALUE = 9\n");
  write("app/main.py", R"PY(
import spoa, helper, pkg
spoa.register_message('m', helper.handle)
spoa.register_message('pkg', lambda args: spoa.set_var_int32('pkg', spoa.scope_txn, pkg.VALUE))
)PY");
  std::filesystem::create_directories(dir() / "elsewhere");
  {
    WorkingDirectory cwd(dir() / "elsewhere");
    try {
      engine().load(std::filesystem::path("..") / "app" / "main.py");  // relative to the cwd, as on a command line
    } catch (const LoadError& e) {
      FAIL() << e.what();
    }
  }
  const auto out = call("m");
  ASSERT_TRUE(out.result.ok()) << out.result.detail;
  EXPECT_EQ(out.ack, ack_with("01 03 02 06 68656c706572 02 05"));
  EXPECT_EQ(call("pkg").ack, ack_with("01 03 02 03 706b67 02 09"));
}

TEST_F(PythonEngineTest, StandardLibraryAndSystemSitePackagesAreAvailable) {
  load_script(std::string(prelude) + R"PY(
import json, ipaddress, os, sys, random, pprint
assert json.loads('{"a": 1}') == {'a': 1}
# Debian's system site-packages (python3-* packages) are on sys.path when they exist.
debian = '/usr/lib/python3/dist-packages'
assert not os.path.isdir(debian) or debian in sys.path, sys.path
# The standard library is the one of the libpython we run on.
assert os.path.dirname(json.__file__).startswith(sys.base_prefix), (json.__file__, sys.base_prefix)
)PY");
}

TEST_F(PythonEngineTest, ADuplicateMessageFailsTheLoadNamingBothFiles) {
  const auto first = write("first.py", std::string(prelude) + "spoa.register_message('dup', lambda args: None)\n");
  const auto second = write("second.py", std::string(prelude) + "spoa.register_message('other', print)\n"
                                                                "spoa.register_message('dup', lambda args: None)\n");
  engine().load(first);
  const std::string error = error_loading(engine(), second);
  EXPECT_TRUE(contains(error, first.string())) << error;
  EXPECT_TRUE(contains(error, second.string())) << error;
  EXPECT_TRUE(contains(error, "'dup'")) << error;
  // The failed file registered nothing, not even 'other'.
  const auto regs = engine().registrations();
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].file, first);
}

TEST_F(PythonEngineTest, ADuplicateWithinOneFileFailsToo) {
  const auto script = write("twice.py", std::string(prelude) + "spoa.register_message('x', print)\n"
                                                               "spoa.register_message('x', print)\n");
  const std::string error = error_loading(engine(), script);
  EXPECT_TRUE(contains(error, script.string() + ":11: spoa.error: message 'x' is already registered")) << error;
  EXPECT_TRUE(engine().registrations().empty());
}

TEST_F(PythonEngineTest, ASyntaxErrorNamesFileAndLine) {
  const auto script = write("bad.py", "import spoa\n\ndef broken(:\n    pass\n");
  const std::string error = error_loading(engine(), script);
  EXPECT_EQ(error.rfind(script.string() + ":3: SyntaxError: ", 0), 0u) << error;
  EXPECT_TRUE(contains(error, "def broken(:")) << "the traceback part shows the line: " << error;
}

TEST_F(PythonEngineTest, AnExceptionAtLoadNamesFileLineAndTraceback) {
  const auto script = write("raises.py", "import spoa\nspoa.register_message('m', print)\n\n"
                                         "raise ValueError('bad config')\n");
  const std::string error = error_loading(engine(), script);
  EXPECT_EQ(error.rfind(script.string() + ":4: ValueError: bad config", 0), 0u) << error;
  EXPECT_TRUE(contains(error, "Traceback (most recent call last)")) << error;
  EXPECT_TRUE(engine().registrations().empty()) << "a failed load registers nothing";
  // The same message can then be registered by a good file.
  engine().load(write("good.py", "import spoa\nspoa.register_message('m', print)\n"));
  EXPECT_EQ(engine().registrations().size(), 1u);
}

TEST_F(PythonEngineTest, AnErrorInAnImportedModuleNamesTheScriptLineAndShowsTheModule) {
  const auto helper = write("helper_fails.py", "x = 1\nraise KeyError('nope')\n");
  const auto script = write("main.py", "import spoa\n\nimport helper_fails\n");
  const std::string error = error_loading(engine(), script);
  EXPECT_EQ(error.rfind(script.string() + ":3: KeyError: 'nope'", 0), 0u) << error;
  EXPECT_TRUE(contains(error, "File \"" + helper.string() + "\", line 2")) << error;
}

TEST_F(PythonEngineTest, ASyntaxErrorInAnImportedModuleNamesThatModule) {
  const auto helper = write("helper_syntax.py", "def f(:\n");
  const auto script = write("main.py", "import helper_syntax\n");
  const std::string error = error_loading(engine(), script);
  EXPECT_EQ(error.rfind(helper.string() + ":1: SyntaxError: ", 0), 0u) << error;
}

TEST_F(PythonEngineTest, AMissingFileIsALoadErrorNamingIt) {
  const auto missing = dir() / "nowhere.py";
  const std::string error = error_loading(engine(), missing);
  EXPECT_TRUE(contains(error, missing.string())) << error;
  EXPECT_TRUE(contains(error, "cannot read script")) << error;
}

TEST_F(PythonEngineTest, EnginesInOneProcessHaveSeparateGlobalsAndHandlers) {
  const std::string counter = std::string(prelude) + R"PY(
count = 0
def handler(args):
    global count
    count += 1
    spoa.set_var_int32('n', spoa.scope_txn, count)
spoa.register_message('m', handler)
)PY";
  load_script(counter);
  ASSERT_TRUE(call("m").result.ok());
  EXPECT_EQ(call("m").ack, ack_with("01 03 02 01 6e 02 02"));

  auto other = make_python_engine(options());
  other->load(write("other.py", counter));
  std::vector<std::byte> frame;
  spop::AckBuilder builder(frame, 1, 1, 16380);
  ASSERT_TRUE(other->call(CallInfo{"m", 1, 1}, {}, builder).ok());
  builder.finish();
  EXPECT_EQ(spop::test::to_hex(frame), ack_with("01 03 02 01 6e 02 01")) << "its own count";
  other.reset();  // destroying an engine leaves the interpreter to the others
  EXPECT_EQ(call("m").ack, ack_with("01 03 02 01 6e 02 03"));
}

TEST_F(PythonEngineTest, ACodingDeclarationIsHonoured) {
  // PEP 263: a Latin-1 source file with its declaration.
  const auto script = write("latin1.py", "# -*- coding: latin-1 -*-\nimport spoa\n"
                                         "spoa.register_message('m', lambda args: spoa.set_var_str('v', 2, '\xe9'))\n");
  engine().load(script);
  EXPECT_EQ(call("m").ack, ack_with("01 03 02 01 76 08 02 c3a9"));
}

// PYTHONPATH and VIRTUAL_ENV are read when the interpreter starts (once per process), so this test runs in a
// fresh child process (gtest's "threadsafe" death-test style re-executes the test binary).
TEST_F(PythonEngineTest, PythonPathAndVirtualEnvAreHonoured) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const auto venv = dir() / "venv";
  const auto site = venv / "lib" / "python3.11" / "site-packages";
  write("venv/lib/python3.11/site-packages/venvmod.py", "WHERE = 'venv'\n");
  write("venv/lib/python3.11/site-packages/extra.pth", (dir() / "pth").string() + "\n");
  write("pth/pthmod.py", "WHERE = 'pth'\n");
  write("pypath/pathmod.py", "WHERE = 'pythonpath'\n");
  const auto script = write("script.py", std::string(prelude) + R"PY(
import sys, venvmod, pathmod, pthmod
site = ')PY" + site.string() + R"PY('
assert venvmod.WHERE == 'venv' and pathmod.WHERE == 'pythonpath' and pthmod.WHERE == 'pth'
# venv packages win over the system's, PYTHONPATH over both (as with the venv's own python3).
system = [i for i, p in enumerate(sys.path) if p.endswith(('site-packages', 'dist-packages')) and p != site]
assert not system or sys.path.index(site) < min(system), sys.path
assert sys.path.index(')PY" + (dir() / "pypath").string() + R"PY(') < sys.path.index(site), sys.path
def handler(args):
    spoa.set_var_str('v', spoa.scope_txn, venvmod.WHERE)
spoa.register_message('m', handler)
)PY");
  const auto pypath = (dir() / "pypath").string();
  EXPECT_EXIT(
      {
        ::setenv("VIRTUAL_ENV", venv.c_str(), 1);
        ::setenv("PYTHONPATH", pypath.c_str(), 1);
        EngineOptions opts;
        auto engine = make_python_engine(opts);
        int status = 0;
        try {
          engine->load(script);
          std::vector<std::byte> frame;
          spop::AckBuilder builder(frame, 1, 1, 16380);
          const CallResult r = engine->call(CallInfo{"m", 1, 1}, {}, builder);
          builder.finish();
          status = r.ok() && spop::test::to_hex(frame) == ack_with("01 03 02 01 76 08 04 76656e76") ? 0 : 2;
        } catch (const LoadError& e) {
          std::fprintf(stderr, "%s\n", e.what());
          status = 1;
        }
        std::error_code ignored;
        std::filesystem::remove_all(dir(), ignored);  // the child exits without TearDown()
        std::exit(status);
      },
      ::testing::ExitedWithCode(0), "");
}

}  // namespace
}  // namespace spoa::test
