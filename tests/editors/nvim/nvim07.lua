-- Neovim 0.7.2: the client API of its day — vim.lsp.start_client + vim.lsp.buf_attach_client
-- (vim.lsp.start is 0.8+). Push diagnostics only (0.7 has no pull), UTF-16 (0.7 offers no
-- positionEncodings). Run by tests/test_editor_neovim.py:
--   GOJAGUARD_NVIM_CONFIG=cfg.json nvim --headless -u NONE -i NONE -n -c "luafile nvim07.lua"
local here = debug.getinfo(1, 'S').source:sub(2):match('(.*)/') or '.'
local T = dofile(here .. '/lib.lua')

T.run(function()
  local cfg = T.config()
  T.out('neovim', tostring(vim.version().major) .. '.' .. vim.version().minor .. '.' .. vim.version().patch)
  T.check(vim.lsp.start == nil, 'this script is for Neovim 0.7 (no vim.lsp.start)')
  T.record_diagnostics()

  local client_id = vim.lsp.start_client({
    name = 'gojaguard',
    cmd = cfg.cmd,
    root_dir = cfg.root,
    flags = { debounce_text_changes = 0 }, -- send each change at once
    init_options = { rules = { GJ204 = 'error' } }, -- initializationOptions
  })
  T.check(client_id, 'start_client returned nil')

  local function open_attached(path)
    local bufnr = T.open(path)
    T.check(vim.lsp.buf_attach_client(bufnr, client_id), 'buf_attach_client ' .. path)
    return bufnr
  end
  local function get_client()
    return vim.lsp.get_client_by_id(client_id)
  end

  T.scenario(cfg, get_client, open_attached)
end)
