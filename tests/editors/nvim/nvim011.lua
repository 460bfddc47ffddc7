-- Neovim 0.11: the configuration a user writes — vim.lsp.config('gojaguard', {...}) and
-- vim.lsp.enable('gojaguard'); the client starts from the FileType go autocmd, with the root found
-- by root_markers. Neovim 0.11 offers UTF-8 first (so the server must answer in bytes) and
-- declares pull diagnostics (so the server must not push). Run by tests/test_editor_neovim.py:
--   GOJAGUARD_NVIM_CONFIG=cfg.json nvim --headless -u NONE -i NONE -n -c "luafile nvim011.lua"
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*)/') or '.'
local T = dofile(here .. '/lib.lua')

T.run(function()
  local cfg = T.config()
  T.out('neovim', tostring(vim.version()))
  T.check(vim.lsp.config ~= nil and vim.lsp.enable ~= nil, 'this script is for Neovim 0.11+ (vim.lsp.config/enable)')
  T.record_diagnostics()

  vim.lsp.config('gojaguard', {
    cmd = cfg.cmd,
    filetypes = { 'go' },
    root_markers = { 'go.mod', '.git' },
    flags = { debounce_text_changes = 0 },
    settings = { gojaguard = { rules = { GJ204 = 'error' } } }, -- answered to workspace/configuration
  })
  vim.lsp.enable('gojaguard')

  local function get_client(bufnr)
    return vim.lsp.get_clients({ bufnr = bufnr, name = 'gojaguard' })[1]
  end
  local function open_attached(path)
    local bufnr = T.open(path) -- filetype=go -> FileType autocmd -> the client starts / attaches
    T.wait(20000, function()
      return get_client(bufnr) ~= nil and get_client(bufnr).initialized
    end, 'gojaguard to attach to ' .. path)
    local c = get_client(bufnr)
    T.check(c.root_dir == cfg.root, 'root_dir from root_markers', c.root_dir, cfg.root)
    return bufnr
  end

  T.scenario(cfg, get_client, open_attached)
  T.check(#vim.lsp.get_clients({ name = 'gojaguard' }) == 1, 'one client for the whole workspace')
end)
