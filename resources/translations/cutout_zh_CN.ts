<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN" sourcelanguage="en">
<context>
    <name>BatchDialog</name>
    <message>
        <source>Batch cut-out</source>
        <extracomment>The results list always shows at least this many rows, however long the summary above it is. Failed rows of the results list stand out in this colour.</extracomment>
        <translation>批量抠图</translation>
    </message>
    <message>
        <source>Folder with the photos to cut out</source>
        <translation>存放待抠图照片的文件夹</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Folder for the PNG results (created if needed)</source>
        <translation>保存 PNG 结果的文件夹（不存在时自动创建）</translation>
    </message>
    <message>
        <source>Include sub-folders</source>
        <translation>包括子文件夹</translation>
    </message>
    <message>
        <source>Overwrite existing results</source>
        <translation>覆盖已有结果</translation>
    </message>
    <message>
        <source>When unchecked, photos whose PNG already exists are skipped.</source>
        <translation>不勾选时，已有 PNG 结果的照片将被跳过。</translation>
    </message>
    <message>
        <source>Folders</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Input folder:</source>
        <translation>输入文件夹：</translation>
    </message>
    <message>
        <source>Output folder:</source>
        <translation>输出文件夹：</translation>
    </message>
    <message>
        <source>Colour…</source>
        <translation>颜色…</translation>
    </message>
    <message>
        <source>Pixels more likely than this to be foreground are kept.</source>
        <translation>前景概率高于此值的像素将被保留。</translation>
    </message>
    <message>
        <source>Refine edges</source>
        <translation>优化边缘</translation>
    </message>
    <message>
        <source>as the model gives it</source>
        <translation>按模型结果</translation>
    </message>
    <message>
        <source>Feather the outline over this many pixels; the inside stays solid.</source>
        <translation>将轮廓在这么多像素内羽化；内部保持不透明。</translation>
    </message>
    <message>
        <source>Shift edge:</source>
        <translation>移动边缘：</translation>
    </message>
    <message>
        <source>Move the outline out (grow, +) or in (shrink, −) by this many pixels.</source>
        <translation>将轮廓向外（扩展，+）或向内（收缩，−）移动这么多像素。</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Output:</source>
        <translation>输出：</translation>
    </message>
    <message>
        <source>Threshold:</source>
        <translation>阈值：</translation>
    </message>
    <message>
        <source>Edge width:</source>
        <translation>边缘宽度：</translation>
    </message>
    <message>
        <source>Open output folder</source>
        <translation>打开输出文件夹</translation>
    </message>
    <message>
        <source>Show the results in the file manager</source>
        <translation>在文件管理器中显示结果</translation>
    </message>
    <message>
        <source>The output folder does not exist yet.</source>
        <translation>输出文件夹尚不存在。</translation>
    </message>
    <message>
        <source>%v of %m files</source>
        <translation>%v / %m 个文件</translation>
    </message>
    <message>
        <source>Ready.</source>
        <translation>就绪。</translation>
    </message>
    <message>
        <source>Edges:</source>
        <translation>边缘：</translation>
    </message>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Cancel batch</source>
        <translation>取消批处理</translation>
    </message>
    <message>
        <source>Choose the folder of photos</source>
        <translation>选择照片所在文件夹</translation>
    </message>
    <message>
        <source>Choose the output folder</source>
        <translation>选择输出文件夹</translation>
    </message>
    <message>
        <source>Background colour</source>
        <translation>背景颜色</translation>
    </message>
    <message>
        <source>Choose the folder of photos to cut out.</source>
        <translation>请选择待抠图照片所在的文件夹。</translation>
    </message>
    <message>
        <source>Choose the output folder.</source>
        <translation>请选择输出文件夹。</translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation>正在查找照片…</translation>
    </message>
    <message>
        <source>Cancelling…</source>
        <translation>正在取消…</translation>
    </message>
    <message>
        <source>Cutting out {count} photos…</source>
        <translation>正在为 {count} 张照片抠图…</translation>
    </message>
    <message>
        <source>Nothing to do.</source>
        <translation>没有需要处理的照片。</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Skipped (result exists)</source>
        <translation>已跳过（结果已存在）</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>Results are in {folder}</source>
        <translation>结果保存在 {folder}</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>Finished.</source>
        <translation>已完成。</translation>
    </message>
    <message>
        <source>The batch could not run: {reason}</source>
        <translation>批处理无法运行：{reason}</translation>
    </message>
</context>
<context>
    <name>ClickSegmenter</name>
    <message>
        <source>There is nothing to remove: the mask is empty</source>
        <extracomment>A click&apos;s quick mask is shown as a picture of the whole photo with this long side at most. A first click (or Space) on a photo shown at this scale or less is refined first at the view&apos;s scale, shown, then at full resolution: the user sees refined edges long before the full-resolution pass ends. A click&apos;s mask was applied: &quot;global&quot; (the quick pass) or &quot;refined&quot;. A click could not be segmented (the exception). Refinement progress (tiles done, total). Work started or ended. A first click&apos;s candidate is showing: its index and how many there are (0 when the step has none). The scale the view shows the photo at (widget pixels per photo pixel); the window sets it.</extracomment>
        <translation>没有可移除的内容：蒙版是空的</translation>
    </message>
</context>
<context>
    <name>DocumentAutosave</name>
    <message>
        <source>This photo is open in another cutout window. The edits made here are autosaved separately, and both are offered when the photo is opened again after a crash.</source>
        <extracomment>After this many records the journal is compacted into a new generation (which writes the undo history again: twice undo&apos;s step limit keeps that rewrite to at most one record written for every record appended). Asked before restoring an autosave: True to restore it. This window&apos;s journal: claimed at the first edit, or the autosave it restored.</extracomment>
        <translation>这张照片已在另一个 cutout 窗口中打开。此处的编辑会单独自动保存；若程序崩溃，再次打开照片时两份编辑都会提供恢复。</translation>
    </message>
    <message>
        <source>{count} more set(s) of unsaved edits of this photo, from other windows, are kept; they are offered when the photo is opened again.</source>
        <translation>这张照片还有 {count} 份来自其他窗口的未保存编辑已被保留；再次打开照片时会提供恢复。</translation>
    </message>
    <message>
        <source>the autosaved mask does not fit this photo</source>
        <translation>自动保存的蒙版与这张照片不匹配</translation>
    </message>
    <message>
        <source>restored: the mask with {edits} edit(s) to undo one by one, {clicks} click(s) and {strokes} brush stroke(s)</source>
        <translation>已恢复：蒙版及可逐步撤销的 {edits} 次编辑、{clicks} 次点击和 {strokes} 笔画笔</translation>
    </message>
    <message>
        <source>The unsaved edits could not be restored:</source>
        <translation>未保存的编辑无法恢复：</translation>
    </message>
    <message>
        <source>Some unsaved edits could not be restored:</source>
        <translation>部分未保存的编辑无法恢复：</translation>
    </message>
    <message>
        <source>The unsaved edits were restored, but:</source>
        <translation>未保存的编辑已恢复，但是：</translation>
    </message>
    <message>
        <source>The damaged autosave was moved to {folder}.</source>
        <translation>已损坏的自动保存已移至 {folder}。</translation>
    </message>
</context>
<context>
    <name>EdgeOptions</name>
    <message>
        <source>Clean edge colours</source>
        <translation>净化边缘颜色</translation>
    </message>
    <message>
        <source>In hair and soft edges, export the subject&apos;s own colour instead of a mix with the old background.</source>
        <translation>在头发和柔和边缘处，导出主体本身的颜色，而不是混入原背景的颜色。</translation>
    </message>
    <message>
        <source>Alpha matting for hair and fur (slower)</source>
        <translation>头发和毛发的 Alpha 抠图（较慢）</translation>
    </message>
    <message>
        <source>Recompute the transparency along the outline from the photo&apos;s colours.</source>
        <translation>根据照片的颜色重新计算轮廓附近的透明度。</translation>
    </message>
</context>
<context>
    <name>ExportDialog</name>
    <message>
        <source>Export cut-out</source>
        <translation>导出抠图</translation>
    </message>
    <message>
        <source>Browse...</source>
        <translation>浏览...</translation>
    </message>
    <message>
        <source>Result:</source>
        <translation>结果：</translation>
    </message>
    <message>
        <source>Edges:</source>
        <translation>边缘：</translation>
    </message>
    <message>
        <source>File:</source>
        <translation>文件：</translation>
    </message>
    <message>
        <source>Background colour</source>
        <translation>背景颜色</translation>
    </message>
    <message>
        <source>Export as</source>
        <translation>导出为</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Replace file</source>
        <translation>替换文件</translation>
    </message>
    <message>
        <source>{name} already exists. Replace it?</source>
        <translation>{name} 已存在。要替换吗？</translation>
    </message>
</context>
<context>
    <name>ExportMode</name>
    <message>
        <source>Transparent PNG (RGBA)</source>
        <translation>透明 PNG（RGBA）</translation>
    </message>
    <message>
        <source>Mask only (grayscale)</source>
        <translation>仅蒙版（灰度）</translation>
    </message>
    <message>
        <source>On a background colour</source>
        <translation>使用背景色</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;Recent</source>
        <translation>最近打开(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>编辑(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Mask</source>
        <translation>蒙版(&amp;M)</translation>
    </message>
    <message>
        <source>Run the Model &amp;On</source>
        <translation>模型运行于(&amp;O)</translation>
    </message>
    <message>
        <source>Automatic (CUDA if available)</source>
        <translation>自动（有 CUDA 时使用 CUDA）</translation>
    </message>
    <message>
        <source>CUDA (GPU)</source>
        <translation>CUDA（GPU）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Mask and view</source>
        <translation>蒙版与视图</translation>
    </message>
    <message>
        <source>Model not available</source>
        <extracomment>A photo was opened (its path). An attempt to open a photo ended: True if it was opened. Segmentation ended: &quot;done&quot;, &quot;cancelled&quot; or &quot;failed&quot;. Export ended: the written Path, or None if it failed. Copying the cut-out to the clipboard ended: True if it is there. The photo being read for opening (File &gt; Open, drop, Recent, PageDown/PageUp, paste), if any.</extracomment>
        <translation>模型不可用</translation>
    </message>
    <message>
        <source>Segmentation is disabled: {reason}</source>
        <translation>分割功能已停用：{reason}</translation>
    </message>
    <message>
        <source>Open photo</source>
        <translation>打开照片</translation>
    </message>
    <message>
        <source>Images ({patterns});;All files (*)</source>
        <translation>图像 ({patterns});;所有文件 (*)</translation>
    </message>
    <message>
        <source>Cannot open photo</source>
        <translation>无法打开照片</translation>
    </message>
    <message>
        <source>Not enough memory to open {name}.</source>
        <translation>内存不足，无法打开 {name}。</translation>
    </message>
    <message>
        <source>Opened {name}</source>
        <translation>已打开 {name}</translation>
    </message>
    <message>
        <source>Restored the unsaved edits</source>
        <translation>已恢复未保存的编辑</translation>
    </message>
    <message>
        <source>Autosave failed</source>
        <translation>自动保存失败</translation>
    </message>
    <message>
        <source>Edits are no longer saved automatically: {reason}</source>
        <translation>编辑内容将不再自动保存：{reason}</translation>
    </message>
    <message>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <source>Clear list</source>
        <translation>清除列表</translation>
    </message>
    <message>
        <source>tiles</source>
        <translation>个图块</translation>
    </message>
    <message>
        <source>Segmentation cancelled</source>
        <translation>分割已取消</translation>
    </message>
    <message>
        <source>Segmenting...</source>
        <translation>正在分割...</translation>
    </message>
    <message>
        <source>Segmented with {model}</source>
        <translation>已使用 {model} 完成分割</translation>
    </message>
    <message>
        <source>Segmentation failed</source>
        <translation>分割失败</translation>
    </message>
    <message>
        <source>Open a photo or drop one here

File &gt; Open ({open}) · paste one ({paste})</source>
        <translation>打开一张照片，或把照片拖到这里

文件 &gt; 打开（{open}）· 粘贴照片（{paste}）</translation>
    </message>
    <message>
        <source>the pasted photo</source>
        <translation>粘贴的照片</translation>
    </message>
    <message>
        <source>Opening cancelled</source>
        <translation>已取消打开</translation>
    </message>
    <message>
        <source>Opening {name}...</source>
        <translation>正在打开 {name}...</translation>
    </message>
    <message>
        <source>Reopened with the mask you exported</source>
        <translation>已重新打开，并带回你导出时的蒙版</translation>
    </message>
    <message>
        <source>Autosave</source>
        <translation>自动保存</translation>
    </message>
    <message>
        <source>This is the last photo in the folder</source>
        <translation>这是文件夹中的最后一张照片</translation>
    </message>
    <message>
        <source>This is the first photo in the folder</source>
        <translation>这是文件夹中的第一张照片</translation>
    </message>
    <message>
        <source>Cannot paste</source>
        <translation>无法粘贴</translation>
    </message>
    <message>
        <source>The clipboard holds no photo</source>
        <translation>剪贴板中没有照片</translation>
    </message>
    <message>
        <source>Cancelling...</source>
        <translation>正在取消...</translation>
    </message>
    <message>
        <source>Refinement cancelled</source>
        <translation>已取消精细化</translation>
    </message>
    <message>
        <source>Wait for the segmentation to finish, or press Esc</source>
        <translation>请等待分割完成，或按 Esc</translation>
    </message>
    <message>
        <source>This model takes no clicks: press Space, or use the brush</source>
        <translation>此模型不支持点击：请按空格键，或使用画笔</translation>
    </message>
    <message>
        <source>This lasso</source>
        <translation>这个套索</translation>
    </message>
    <message>
        <source>This box</source>
        <translation>这个框</translation>
    </message>
    <message>
        <source>{what} has no area inside the photo: drag across the object</source>
        <translation>{what}在照片内没有面积：请拖过要选的对象</translation>
    </message>
    <message>
        <source>There is nothing to remove: the mask is empty</source>
        <translation>没有可移除的内容：蒙版是空的</translation>
    </message>
    <message>
        <source>No candidates to choose from: they come with the first click</source>
        <translation>没有可选的候选：候选来自第一次点击</translation>
    </message>
    <message>
        <source>Clicks cleared</source>
        <translation>已清除点击</translation>
    </message>
    <message>
        <source>Refining...</source>
        <translation>正在精细化...</translation>
    </message>
    <message>
        <source>Refining at full resolution...</source>
        <translation>正在以完整分辨率精细化...</translation>
    </message>
    <message>
        <source>Mask updated</source>
        <translation>蒙版已更新</translation>
    </message>
    <message>
        <source>Mask refined</source>
        <translation>蒙版已精细化</translation>
    </message>
    <message>
        <source>Segmenting the click...</source>
        <translation>正在按点击分割...</translation>
    </message>
    <message>
        <source>edge tiles</source>
        <translation>边缘图块</translation>
    </message>
    <message>
        <source>Exporting {name}...</source>
        <translation>正在导出 {name}...</translation>
    </message>
    <message>
        <source>Exported {path}</source>
        <translation>已导出 {path}</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>导出失败</translation>
    </message>
    <message>
        <source>Copy failed</source>
        <translation>复制失败</translation>
    </message>
    <message>
        <source>Copying the cut-out...</source>
        <translation>正在复制抠图结果...</translation>
    </message>
    <message>
        <source>Copied the cut-out ({width} × {height}, with transparency)</source>
        <translation>已复制抠图结果（{width} × {height}，含透明度）</translation>
    </message>
    <message>
        <source>Undone</source>
        <translation>已撤销</translation>
    </message>
    <message>
        <source>Redone</source>
        <translation>已重做</translation>
    </message>
    <message>
        <source>Brush size {size} px</source>
        <translation>画笔大小 {size} 像素</translation>
    </message>
    <message>
        <source>Click: keep this region, remove {count} other(s) · right click: remove this region</source>
        <translation>单击：保留此区域，移除其他 {count} 个 · 右键单击：移除此区域</translation>
    </message>
    <message>
        <source>Batch export</source>
        <translation>批量导出</translation>
    </message>
    <message>
        <source>(not available)</source>
        <translation>（不可用）</translation>
    </message>
    <message>
        <source>System default</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>cutout {version}

cutout cuts subjects out of photos with a U-Net run tile by tile.

{model}</source>
        <translation>cutout {version}

cutout 使用逐块运行的 U-Net 从照片中抠出主体。

{model}</translation>
    </message>
    <message>
        <source>About cutout</source>
        <translation>关于 cutout</translation>
    </message>
</context>
<context>
    <name>Prompter</name>
    <message>
        <source>Restore edits</source>
        <translation>恢复编辑</translation>
    </message>
    <message>
        <source>This photo has unsaved edits, last made on {when}. Restore them?</source>
        <translation>这张照片有未保存的编辑，最后一次编辑于 {when}。要恢复吗？</translation>
    </message>
    <message>
        <source>This photo has edits made since you exported it on {exported}, the last on {when}. Restore them?</source>
        <translation>这张照片在你于 {exported} 导出之后又有编辑，最后一次编辑于 {when}。要恢复吗？</translation>
    </message>
    <message>
        <source>Unsaved edits</source>
        <translation>未保存的编辑</translation>
    </message>
    <message>
        <source>The edits of {name} have not been exported.</source>
        <translation>{name} 的编辑尚未导出。</translation>
    </message>
    <message>
        <source>Export them before closing?</source>
        <translation>关闭前是否导出？</translation>
    </message>
</context>
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <extracomment>Strings of Qt&apos;s file dialog that Qt&apos;s own translations lack (cutout&apos;s translation carries them).</extracomment>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>File</source>
        <extracomment>The sections of the help dialog, in order.</extracomment>
        <translation>文件</translation>
    </message>
    <message>
        <source>Tools</source>
        <translation>工具</translation>
    </message>
    <message>
        <source>Mask</source>
        <translation>蒙版</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>编辑</translation>
    </message>
    <message>
        <source>View</source>
        <translation>视图</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source> or </source>
        <translation> 或 </translation>
    </message>
    <message>
        <source>&amp;Open...</source>
        <extracomment>Every command with its keys; ``tool_&lt;tool&gt;`` and ``view_&lt;mode&gt;`` also name the tools and view modes.</extracomment>
        <translation>打开(&amp;O)...</translation>
    </message>
    <message>
        <source>&amp;Paste Photo</source>
        <translation>粘贴照片(&amp;P)</translation>
    </message>
    <message>
        <source>&amp;Next Photo in Folder</source>
        <translation>文件夹中的下一张照片(&amp;N)</translation>
    </message>
    <message>
        <source>Pre&amp;vious Photo in Folder</source>
        <translation>文件夹中的上一张照片(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Export...</source>
        <translation>导出(&amp;E)...</translation>
    </message>
    <message>
        <source>&amp;Copy Cut-out</source>
        <translation>复制抠图结果(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Batch Export...</source>
        <translation>批量导出(&amp;B)...</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>Click to segment</source>
        <translation>点击分割</translation>
    </message>
    <message>
        <source>Click</source>
        <translation>点击</translation>
    </message>
    <message>
        <source>Box / lasso</source>
        <translation>框选 / 套索</translation>
    </message>
    <message>
        <source>Box</source>
        <translation>框选</translation>
    </message>
    <message>
        <source>Add brush</source>
        <translation>添加画笔</translation>
    </message>
    <message>
        <source>Erase brush</source>
        <translation>擦除画笔</translation>
    </message>
    <message>
        <source>Keep / remove region</source>
        <translation>保留 / 移除区域</translation>
    </message>
    <message>
        <source>Region</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Pan</source>
        <translation>平移</translation>
    </message>
    <message>
        <source>Smaller brush</source>
        <translation>减小画笔</translation>
    </message>
    <message>
        <source>Bigger brush</source>
        <translation>增大画笔</translation>
    </message>
    <message>
        <source>&amp;Segment Automatically</source>
        <translation>自动分割(&amp;S)</translation>
    </message>
    <message>
        <source>Segment</source>
        <translation>分割</translation>
    </message>
    <message>
        <source>&amp;Next Candidate</source>
        <translation>下一个候选(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Cancel</source>
        <translation>取消(&amp;C)</translation>
    </message>
    <message>
        <source>Cancel what runs; when nothing runs, clear the clicks</source>
        <translation>取消正在运行的任务；没有任务运行时，清除点击</translation>
    </message>
    <message>
        <source>C&amp;lear Clicks</source>
        <translation>清除点击(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Undo</source>
        <translation>撤销(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>重做(&amp;R)</translation>
    </message>
    <message>
        <source>Overlay</source>
        <translation>叠加</translation>
    </message>
    <message>
        <source>Cutout</source>
        <translation>抠图结果</translation>
    </message>
    <message>
        <source>Side by side</source>
        <translation>并排对比</translation>
    </message>
    <message>
        <source>Show &amp;Outline</source>
        <translation>显示轮廓(&amp;O)</translation>
    </message>
    <message>
        <source>Zoom &amp;In</source>
        <translation>放大(&amp;I)</translation>
    </message>
    <message>
        <source>Zoom &amp;Out</source>
        <translation>缩小(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Fit to Window</source>
        <translation>适应窗口(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Actual Size (100%)</source>
        <translation>实际大小（100%）(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About cutout</source>
        <translation>关于 cutout(&amp;A)</translation>
    </message>
    <message>
        <source>Left click</source>
        <extracomment>What Space and the mouse do on the canvas.</extracomment>
        <translation>左键单击</translation>
    </message>
    <message>
        <source>Click tool: keep what is clicked · brushes: paint · region tool: keep the region</source>
        <translation>点击工具：保留所点之处 · 画笔：绘制 · 区域工具：保留该区域</translation>
    </message>
    <message>
        <source>Right click or Shift+click</source>
        <translation>右键单击或 Shift+单击</translation>
    </message>
    <message>
        <source>Click tool: remove what is clicked · brushes: paint the opposite · region tool: remove the region</source>
        <translation>点击工具：移除所点之处 · 画笔：反向绘制 · 区域工具：移除该区域</translation>
    </message>
    <message>
        <source>Resting the pointer</source>
        <translation>指针停留</translation>
    </message>
    <message>
        <source>Click tool: tints what a keep click there would take (the mask is untouched)</source>
        <translation>点击工具：着色显示在此保留点击将选取的内容（蒙版不变）</translation>
    </message>
    <message>
        <source>Drag</source>
        <translation>拖动</translation>
    </message>
    <message>
        <source>Box tool: the object in the box becomes the mask</source>
        <translation>框选工具：框内的对象成为蒙版</translation>
    </message>
    <message>
        <source>Shift+drag</source>
        <translation>Shift+拖动</translation>
    </message>
    <message>
        <source>Box tool: add the object in the box to the mask</source>
        <translation>框选工具：把框内的对象加入蒙版</translation>
    </message>
    <message>
        <source>Alt+drag or right drag</source>
        <translation>Alt+拖动或右键拖动</translation>
    </message>
    <message>
        <source>Box tool: remove the object in the box (only inside the box)</source>
        <translation>框选工具：移除框内的对象（只在框内）</translation>
    </message>
    <message>
        <source>Ctrl+drag</source>
        <translation>Ctrl+拖动</translation>
    </message>
    <message>
        <source>Box tool: draw a lasso around the object instead of a box (with Shift, Alt or the right button as for a box)</source>
        <translation>框选工具：用套索圈住对象代替框（Shift、Alt 和右键的作用与框相同）</translation>
    </message>
    <message>
        <source>Space + drag, middle button drag</source>
        <translation>空格 + 拖动，中键拖动</translation>
    </message>
    <message>
        <source>Pan (never changes the mask)</source>
        <translation>平移（绝不改变蒙版）</translation>
    </message>
    <message>
        <source>Mouse wheel</source>
        <translation>鼠标滚轮</translation>
    </message>
    <message>
        <source>Zoom at the pointer</source>
        <translation>以指针为中心缩放</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard Shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>Does</source>
        <translation>作用</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Model: none</source>
        <translation>模型：无</translation>
    </message>
    <message>
        <source>Model: {name} {version} · {provider}</source>
        <translation>模型：{name} {version} · {provider}</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Candidate {index} of {count} — {key}: next</source>
        <translation>候选 {index}/{count} — {key}：下一个</translation>
    </message>
</context>
<context>
    <name>ToolPanel</name>
    <message>
        <source>Brush</source>
        <translation>画笔</translation>
    </message>
    <message>
        <source>Hardness:</source>
        <translation>硬度：</translation>
    </message>
    <message>
        <source>Refine at full resolution</source>
        <translation>以全分辨率精细化</translation>
    </message>
    <message>
        <source>After each click, refine the mask tile by tile (slower, sharper edges).</source>
        <translation>每次点击后逐块精细化蒙版（较慢，边缘更清晰）。</translation>
    </message>
    <message>
        <source>Left click: keep · right or Shift+click: remove · Esc: clear clicks</source>
        <extracomment>The user changed a mask setting: its MaskSettings field name and value. A mask setting was set (slider released, spin box changed): store it with the autosave.</extracomment>
        <translation>左键：保留 · 右键或 Shift+点击：移除 · Esc：清除点击</translation>
    </message>
    <message>
        <source>{tool}: drag around an object · Shift: add it · Alt or right drag: remove it · Ctrl: lasso</source>
        <translation>{tool}：拖框圈住对象 · Shift：加入 · Alt 或右键拖动：移除 · Ctrl：套索</translation>
    </message>
    <message>
        <source>Preview where the pointer rests</source>
        <translation>预览指针停留处</translation>
    </message>
    <message>
        <source>With the click tool, rest the pointer to see what a keep click there would take, tinted. The mask does not change.</source>
        <translation>使用点击工具时，让指针停留即可看到在此保留点击将选取的内容（着色显示）。蒙版不会改变。</translation>
    </message>
    <message>
        <source>Size ({keys}):</source>
        <translation>大小（{keys}）：</translation>
    </message>
    <message>
        <source>Mask</source>
        <translation>蒙版</translation>
    </message>
    <message>
        <source>Threshold:</source>
        <translation>阈值：</translation>
    </message>
    <message>
        <source>Edge softness:</source>
        <translation>边缘柔和度：</translation>
    </message>
    <message>
        <source>How much of the model&apos;s soft transition the edge keeps. With an edge width, only within that width: the inside stays solid.</source>
        <translation>边缘保留多少模型给出的柔和过渡。设置了边缘宽度时只在该宽度内生效：内部保持不透明。</translation>
    </message>
    <message>
        <source>Edge width:</source>
        <translation>边缘宽度：</translation>
    </message>
    <message>
        <source>as the model gives it</source>
        <translation>按模型结果</translation>
    </message>
    <message>
        <source>Feather the outline over this many pixels. Everything farther inside stays fully opaque, everything farther outside fully clear.</source>
        <translation>将轮廓在这么多像素内羽化。更靠内的部分完全不透明，更靠外的部分完全透明。</translation>
    </message>
    <message>
        <source>Shift edge:</source>
        <translation>移动边缘：</translation>
    </message>
    <message>
        <source>Move the outline out (grow, +) or in (shrink, −) by this many pixels.</source>
        <translation>将轮廓向外（扩展，+）或向内（收缩，−）移动这么多像素。</translation>
    </message>
    <message>
        <source>View</source>
        <translation>视图</translation>
    </message>
    <message>
        <source>Show:</source>
        <translation>显示：</translation>
    </message>
    <message>
        <source>Overlay opacity:</source>
        <translation>叠加不透明度：</translation>
    </message>
    <message>
        <source>Overlay colours:</source>
        <translation>叠加着色：</translation>
    </message>
    <message>
        <source>Overlay colour:</source>
        <translation>叠加颜色：</translation>
    </message>
    <message>
        <source>Cut-out on:</source>
        <translation>抠图背景：</translation>
    </message>
    <message>
        <source>A solid colour shows holes and fringes that a checkerboard hides.</source>
        <translation>纯色背景能显出棋盘格会掩盖的小洞和杂边。</translation>
    </message>
    <message>
        <source>Draw the mask&apos;s outline: small holes show as rings.</source>
        <translation>绘制蒙版轮廓：小洞会显示为圆圈。</translation>
    </message>
    <message>
        <source>Overlay colour</source>
        <translation>叠加颜色</translation>
    </message>
</context>
<context>
    <name>ViewMode</name>
    <message>
        <source>What is kept</source>
        <translation>保留的部分</translation>
    </message>
    <message>
        <source>What is removed</source>
        <translation>移除的部分</translation>
    </message>
    <message>
        <source>Checkerboard</source>
        <translation>棋盘格</translation>
    </message>
    <message>
        <source>White</source>
        <translation>白色</translation>
    </message>
    <message>
        <source>Black</source>
        <translation>黑色</translation>
    </message>
</context>
<context>
    <name>cutout</name>
    <message>
        <source>Done: {done}, skipped (output exists): {skipped}, failed: {failed}.</source>
        <translation>完成：{done}，跳过（结果已存在）：{skipped}，失败：{failed}。</translation>
    </message>
    <message>
        <source>Cancelled: {count} file(s) not processed.</source>
        <translation>已取消：{count} 个文件未处理。</translation>
    </message>
    <message>
        <source>These files could not be cut out:</source>
        <translation>以下文件无法抠图：</translation>
    </message>
    <message>
        <source>Not retried, they failed in an earlier run (--retry-failed retries them): {count}</source>
        <translation>未重试，它们在之前的运行中失败（--retry-failed 可重试）：{count}</translation>
    </message>
    <message>
        <source>These folders could not be searched; the photos in them are not in this batch:</source>
        <translation>无法搜索以下文件夹，其中的照片未包含在本次批处理中：</translation>
    </message>
    <message>
        <source>All runs into this folder ({manifest}): {done} done, {failed} failed.</source>
        <translation>此文件夹的全部运行（{manifest}）：{done} 个完成，{failed} 个失败。</translation>
    </message>
    <message>
        <source>the saved view settings were unreadable; the defaults are used</source>
        <extracomment>The largest description file read: one holds a few hundred bytes. Damaged autosaves are moved into this sub-folder of the autosave folder.</extracomment>
        <translation>保存的视图设置无法读取；已使用默认值</translation>
    </message>
    <message>
        <source>the saved {name} {value} is not valid; the default {default} is used</source>
        <translation>保存的 {name} 值 {value} 无效；已使用默认值 {default}</translation>
    </message>
    <message>
        <source>the autosave is damaged: {problem}</source>
        <translation>自动保存已损坏：{problem}</translation>
    </message>
    <message>
        <source>the autosave is gone</source>
        <translation>自动保存已不存在</translation>
    </message>
    <message>
        <source>its description file was missing, so the view settings are the defaults</source>
        <translation>其描述文件丢失，视图设置已恢复为默认值</translation>
    </message>
    <message>
        <source>the autosaved mask {problem}</source>
        <translation>自动保存的蒙版{problem}</translation>
    </message>
    <message>
        <source>the journal of edits is missing: edits made after {time} are lost</source>
        <translation>编辑日志丢失：{time} 之后的编辑已丢失</translation>
    </message>
    <message>
        <source>the journal of edits is {state}: edits made after {time} are lost</source>
        <translation>编辑日志{state}：{time} 之后的编辑已丢失</translation>
    </message>
    <message>
        <source>the last edits could not be read ({count} bytes of the journal are damaged or cut short)</source>
        <translation>最后的编辑无法读取（日志中有 {count} 字节损坏或被截断）</translation>
    </message>
    <message>
        <source>the last {count} edit(s) are missing: the journal was cut short</source>
        <translation>最后 {count} 次编辑丢失：日志被截断</translation>
    </message>
    <message>
        <source>the saved clicks and strokes could not be read ({reason}); the mask is restored without them</source>
        <translation>保存的点击和笔画无法读取（{reason}）；蒙版已恢复，但不含它们</translation>
    </message>
    <message>
        <source>the journal holds more edits than a restore reads ({size} MB of mask): the later edits are left out</source>
        <translation>日志中的编辑多于恢复时读取的上限（{size} MB 蒙版）：较晚的编辑未恢复</translation>
    </message>
</context>
</TS>
